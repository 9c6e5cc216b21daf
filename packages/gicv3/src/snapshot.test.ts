import { expect, test } from 'vitest';
import { restoreMachine, saveMachine } from '@vgic/core';
import { createGicv3, ICC_IAR1_EL1, ICC_IGRPEN1_EL1 } from './index.js';
import { bringUp } from './fixtures.js';

test('a saved machine restores with the same routes: Aff3, IRM and a missing affinity', () => {
  const options = { vcpus: 3, mpidr: [0x0, 0x1_0000_0000n, 0x2] };
  const m = createGicv3(options);
  bringUp(m);
  m.sysregWrite(0, ICC_IGRPEN1_EL1, 0n);
  m.writeRegister('GICD_ISENABLER1', 0x7);
  m.writeRegister('GICD_IROUTER32', 1n << 32n);
  m.writeRegister('GICD_IROUTER33', 0x8000_0000n);
  m.writeRegister('GICD_IROUTER34', 0x0505n);
  m.inject(34, 1);
  const doc = JSON.parse(JSON.stringify(saveMachine(m)));
  expect(doc.shape.mpidr).toEqual(['0x0000000000000000', '0x0000000100000000', '0x0000000000000002']);

  const r = createGicv3(options);
  restoreMachine(r, doc);
  expect([32, 33, 34].map((i) => r.irq(i).target)).toEqual([1, 1, null]);
  expect(r.readRegister('GICD_IROUTER32')).toBe(1n << 32n);
  expect(r.readRegister('GICD_IROUTER33')).toBe(0x8000_0000n);
  // The pending SPI with no target is delivered once routed.
  r.writeRegister('GICD_IROUTER34', 0x2n);
  expect(r.sysregRead(2, ICC_IAR1_EL1)).toBe(34n);
});

test('a snapshot does not restore on a machine with other affinities', () => {
  const m = createGicv3({ vcpus: 2, mpidr: [0x0, 0x100] });
  const r = createGicv3({ vcpus: 2 });
  expect(() => restoreMachine(r, saveMachine(m))).toThrow(/vCPU 1 has affinity 0x0000000000000100/);
});
