import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test, vi } from 'vitest';

const read = (p: string): string => readFileSync(fileURLToPath(new URL(p, import.meta.url)), 'utf8');

test('the README shows the emulator example exactly as it is tested', () => {
  expect(read('../README.md')).toContain(read('./emulator-example.ts').trim());
});

test('the emulator example runs: the MMIO store, the MRS by encoding, the vIRQ line going up and down', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await import('./emulator-example.js');
    expect(log.mock.calls.map((c) => c[0])).toEqual([
      'vCPU 0: vIRQ up, vFIQ down',
      'vIRQ asserted: true',
      'vCPU 0: vIRQ down, vFIQ down',
      'ICC_IAR1_EL1 = 40, vIRQ asserted: false',
      'INTID 40 pending: false, active: false',
    ]);
  } finally {
    log.mockRestore();
  }
});
