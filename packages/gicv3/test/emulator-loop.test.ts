import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test, vi } from 'vitest';

const read = (p: string): string => readFileSync(fileURLToPath(new URL(p, import.meta.url)), 'utf8');

test("core's README shows the emulator loop exactly as it is tested", () => {
  expect(read('../../core/README.md')).toContain(read('./emulator-loop.ts').trim());
});

test('the emulator loop runs: implicit entry, the vIRQ down until kick → exit → enter, WFI and the wake-up', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await import('./emulator-loop.js');
    expect(log.mock.calls.map((c) => c[0])).toEqual([
      'in the guest: vCPU 0 true, vCPU 1 true',
      'after inject: vCPU 1 vIRQ false, kicked true',
      'tick 0: vCPU 0 waits for an interrupt',
      'tick 0: vCPU 1 takes INTID 33',
      'tick 1: vCPU 1 waits for an interrupt',
      'tick 2: vCPU 1 takes INTID 33',
    ]);
  } finally {
    log.mockRestore();
  }
});
