/**
 * The browser check's own program, run from the installed tarballs in
 * Chromium (and in Node): a GICv3 round trip — create, bring up, inject,
 * enter, acknowledge, EOI — printed step by step, once with the
 * single-threaded engine and once with shared state, which a page has only
 * when it is cross-origin isolated.
 */
import { isVgicError, sharedMemorySupported, type Machine } from '@vgic/core';
import { createGicv3, ICC_KEYS } from '@vgic/gicv3';

function roundTrip(m: Machine, say: (text: string) => void): void {
  m.writeRegister('GICD_CTLR', 0x12); // ARE | EnableGrp1
  m.writeRegister('GICD_ISENABLER1', 1 << 8); // SPI 40
  m.writeRegister('GICD_IPRIORITYR10', 0xa0);
  m.sysregWriteWords(0, ICC_KEYS.ICC_PMR_EL1, 0xff, 0);
  m.sysregWriteWords(0, ICC_KEYS.ICC_IGRPEN1_EL1, 1, 0);
  m.exit(0);
  m.inject(40, 1);
  say(`inject SPI 40: pending ${m.irq(40).pending}, on vCPU 0's ap_list [${m.apList(0).join(', ')}]`);
  m.enter(0);
  say(`enter vCPU 0: IRQ line ${m.irqLine(0) ? 'up' : 'down'}, LRs [${m.listRegisters(0).map((lr) => lr.intid).join(', ')}]`);
  const intid = m.sysregRead32(0, ICC_KEYS.ICC_IAR1_EL1);
  say(`ICC_IAR1_EL1 → ${intid}: active ${m.irq(40).active}, IRQ line ${m.irqLine(0) ? 'up' : 'down'}`);
  m.sysregWriteWords(0, ICC_KEYS.ICC_EOIR1_EL1, intid, 0);
  say(`ICC_EOIR1_EL1 ← ${intid}: pending ${m.irq(40).pending}, active ${m.irq(40).active}`);
  m.exit(0);
  say(`exit vCPU 0: ap_list [${m.apList(0).join(', ')}], invariants ${m.checkInvariants().length === 0 ? 'hold' : 'broken'}`);
}

const plain = createGicv3({ vcpus: 2, spis: 32 });
roundTrip(plain, (text) => console.log(`single-threaded: ${text}`));

console.log(`SharedArrayBuffer: ${sharedMemorySupported() ? 'available' : 'not available'}`);
try {
  const shared = createGicv3({ vcpus: 2, spis: 32, shared: true });
  roundTrip(shared, (text) => console.log(`shared: ${text}`));
  console.log(`shared: state in a SharedArrayBuffer: ${shared.vgic.shared}`);
} catch (e) {
  if (!isVgicError(e, 'INVALID_CONFIG')) throw e;
  console.log(`shared: refused (${e.code}): ${e.message}`);
}
