import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test, vi } from 'vitest';

const read = (p: string): string => readFileSync(fileURLToPath(new URL(p, import.meta.url)), 'utf8');

test('the README shows the emulator example exactly as it is tested', () => {
  expect(read('../README.md')).toContain(read('./emulator-example.ts').trim());
});

/** What an example module prints when it is run. */
async function printed(load: () => Promise<unknown>): Promise<unknown[]> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await load();
    return log.mock.calls.map((c) => c[0]);
  } finally {
    log.mockRestore();
  }
}

test('the emulator example runs: the MMIO store, the MRS by encoding, the vIRQ line going up and down', async () => {
  expect(await printed(() => import('./emulator-example.js'))).toEqual([
      'vCPU 0: vIRQ up, vFIQ down',
      'vIRQ asserted: true',
      'vCPU 0: vIRQ down, vFIQ down',
      'ICC_IAR1_EL1 = 40, vIRQ asserted: false',
    'INTID 40 pending: false, active: false',
  ]);
});

test('the README shows the MSI example exactly as it is tested', () => {
  expect(read('../README.md')).toContain(read('./msi-example.ts').trim());
});

test('the MSI example runs: translated, acknowledged as LPI 8192, gone after the EOI', async () => {
  expect(await printed(() => import('./msi-example.js'))).toEqual([
    'MSI translated: true',
    'ICC_IAR1_EL1 = 8192',
    'vIRQ asserted: false, anything pending: false',
  ]);
});
