import { createGicv3, GICD_OFFSETS, ICC_KEYS } from '@vgic/gicv3';

// A guest with 2 vCPUs and 64 SPIs; the distributor at 0x08000000 and the
// redistributors from 0x080A0000, where QEMU's `virt` board puts them.
const gic = createGicv3({ vcpus: 2, spis: 64 });
const GICD = 0x0800_0000;

// The CPU model learns when to take an exception from the vCPU's lines.
gic.onLine((vcpu, irq, fiq) => console.log(`vCPU ${vcpu}: vIRQ ${irq ? 'up' : 'down'}, vFIQ ${fiq ? 'up' : 'down'}`));

// What the CPU model's instruction decoder calls, on vCPU 0:
// STR w1, [x0]  with x0 = GICD_CTLR, w1 = ARE | EnableGrp1 (a 32-bit store: width 32, in bits)
gic.mmioWrite(0, GICD + GICD_OFFSETS.GICD_CTLR, 32, 0x12);
// STR w1, [x0]  with x0 = GICD_ISENABLER1 (0x0104), w1 = bit 8: enable INTID 40
gic.mmioWrite(0, GICD + GICD_OFFSETS.GICD_ISENABLER + 4, 32, 1 << 8);
// MSR ICC_PMR_EL1, x1 (op0 3, op1 0, CRn 4, CRm 6, op2 0): unmask every priority
gic.sysregWrite(0, { op0: 3, op1: 0, crn: 4, crm: 6, op2: 0 }, 0xffn);
// MSR ICC_IGRPEN1_EL1, x1: enable Group 1 at the CPU interface
gic.sysregWrite(0, ICC_KEYS.ICC_IGRPEN1_EL1, 1n);

// A device raises SPI 40. It is queued for vCPU 0 (IROUTER40 is 0, vCPU 0's
// affinity); the vCPU re-enters the guest and its vIRQ line goes up.
gic.inject(40, 1);
gic.enter(0);
console.log(`vIRQ asserted: ${gic.irqLine(0)}`); // true

// The guest's handler: MRS x0, ICC_IAR1_EL1 (op0 3, op1 0, CRn 12, CRm 12, op2 0).
const intid = gic.sysregRead(0, { op0: 3, op1: 0, crn: 12, crm: 12, op2: 0 });
console.log(`ICC_IAR1_EL1 = ${intid}, vIRQ asserted: ${gic.irqLine(0)}`); // 40, false

// MSR ICC_EOIR1_EL1, x0: priority drop and deactivation.
gic.sysregWrite(0, ICC_KEYS.ICC_EOIR1_EL1, intid!);
console.log(`INTID 40 pending: ${gic.irq(40).pending}, active: ${gic.irq(40).active}`); // false, false
