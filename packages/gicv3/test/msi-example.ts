import { createGicv3, ICC_KEYS, queueItsCommand } from '@vgic/gicv3';

// Guest RAM at 1 GiB holds the LPI tables, the ITS's tables and its command queue.
const ram = new ArrayBuffer(0x40_0000);
const gic = createGicv3({ vcpus: 1, its: true, guestMemory: [{ base: 0x4000_0000, buffer: ram }] });
gic.writeRegister('GICD_CTLR', 0x12); // ARE | EnableGrp1
gic.sysregWrite(0, ICC_KEYS.ICC_PMR_EL1, 0xffn);
gic.sysregWrite(0, ICC_KEYS.ICC_IGRPEN1_EL1, 1n);

// The guest's LPI and ITS drivers: property table (every LPI enabled at priority 0xa0), pending table, ITS tables.
new Uint8Array(ram, 0x1_0000, 0x1_0000).fill(0xa1);
gic.writeRegister('GICR_PROPBASER', 0x4001_0000n | 15n, { rd: 0 }); // IDbits 15: 16-bit INTIDs
gic.writeRegister('GICR_PENDBASER', 0x4002_0000n, { rd: 0 });
gic.writeRegister('GICR_CTLR', 1, { rd: 0 }); // EnableLPIs
gic.writeRegister('GITS_BASER0', (1n << 63n) | 0x4010_0000n); // device table
gic.writeRegister('GITS_BASER1', (1n << 63n) | 0x4011_0000n); // collection table
gic.writeRegister('GITS_CBASER', (1n << 63n) | 0x4012_0000n); // command queue, 4 KiB
gic.writeRegister('GITS_CTLR', 1);

// The MSI round trip: map device 1's event 0 to LPI 8192 on vCPU 0, signal it, take it.
queueItsCommand(gic, { cmd: 'MAPD', device: 1, itt: 0x4020_0000, size: 4, valid: true });
queueItsCommand(gic, { cmd: 'MAPC', collection: 0, target: 0, valid: true });
queueItsCommand(gic, { cmd: 'MAPTI', device: 1, event: 0, intid: 8192, collection: 0 });
console.log(`MSI translated: ${gic.signalMsi(1, 0)}`); // true: the device's write to GITS_TRANSLATER
gic.enter(0);
const intid = gic.sysregRead(0, ICC_KEYS.ICC_IAR1_EL1);
console.log(`ICC_IAR1_EL1 = ${intid}`); // 8192
gic.sysregWrite(0, ICC_KEYS.ICC_EOIR1_EL1, intid!);
gic.exit(0);
console.log(`vIRQ asserted: ${gic.irqLine(0)}, anything pending: ${gic.hasPending(0)}`); // false, false
