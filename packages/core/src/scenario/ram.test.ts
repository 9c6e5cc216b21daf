import { describe, expect, it } from 'vitest';
import { createToy } from '../../test/fixtures/toy-gic.js';
import { ScenarioRam } from './ram.js';
import { runScenario, type ScenarioBackend, type ScenarioMachineOptions } from './run.js';
import type { Step } from './types.js';

describe('ScenarioRam', () => {
  it('stores and loads little-endian at every width, each region in its own buffer', () => {
    const ram = new ScenarioRam([
      { base: 0x4000_0000n, size: 0x1000 },
      { base: 0x8000_0000n, size: 16 },
    ]);
    ram.store(0x4000_0ff8n, 64, 0x0102_0304_0506_0708n);
    expect([...new Uint8Array(ram.regions[0]!.buffer, 0xff8, 8)]).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(ram.load(0x4000_0ffan, 16)).toBe(0x0506n);
    expect(ram.load(0x4000_0ff8n, 32)).toBe(0x0506_0708n);
    // A store writes only its width, the rest of the value ignored.
    ram.store(0x8000_000fn, 8, 0x1ffn);
    expect(ram.load(0x8000_0008n, 64)).toBe(0xff00_0000_0000_0000n);
    expect(ram.regions.map((r) => r.buffer.byteLength)).toEqual([0x1000, 16]);
  });

  it('refuses an access that is not wholly inside one region, and writes nothing', () => {
    const ram = new ScenarioRam([
      { base: 0x1000n, size: 16 },
      { base: 0x1010n, size: 16 },
    ]);
    // Adjacent regions are separate buffers: an access across the boundary is outside both.
    expect(() => ram.store(0x100cn, 64, ~0n)).toThrow(/outside every memory region/);
    expect(() => ram.load(0xfffn, 8)).toThrow(/outside every memory region/);
    expect(ram.load(0x1008n, 64)).toBe(0n);
    expect(ram.load(0x1010n, 64)).toBe(0n);
  });
});

/** The toy backend, which takes no guest RAM: it ignores the scenario's. */
const BACKENDS: Record<string, ScenarioBackend> = { toy: ({ ram: _ram, ...o }: ScenarioMachineOptions) => createToy(o) };

describe('poke, peek, its and msi steps', () => {
  const memory = [{ base: 0x4000_0000n, size: 0x100 }];

  it('peek reads what poke wrote, and its expect is a check', () => {
    const steps: Step[] = [
      { action: 'poke', address: 0x4000_0010n, value: 0xa1n, width: 8 },
      { action: 'poke', address: 0x4000_0011n, value: 0xb2c3n, width: 16 },
      { action: 'peek', address: 0x4000_0010n, width: 32, expect: 0xb2c3a1n },
      { action: 'peek', address: 0x4000_0010n, expect: 0xa1n, mask: 0xffn },
      { action: 'peek', address: 0x4000_0010n, width: 8, expect: 0xa2n },
    ];
    const r = runScenario({ gic: 'toy', vcpus: 1, memory, steps }, { backends: BACKENDS });
    expect(r.steps.map((s) => s.read)).toEqual([undefined, undefined, 0xb2c3a1n, 0xb2c3a1n, 0xa1n]);
    expect([r.passed, r.failed]).toEqual([2, 1]);
    expect(r.steps[4]!.check!.message).toBe('read 0xa1, expected 0xa2');
    expect(r.steps[0]!.action).toBe('poke 0x40000010 (8-bit) = 0xa1');
  });

  it('a poke outside guest RAM fails the step, and an its or msi step fails on a machine without an ITS', () => {
    const steps: Step[] = [
      { action: 'poke', address: 0x4000_00fcn, value: 0n },
      { action: 'its', command: 'SYNC', fields: { target: 0n } },
      { action: 'msi', device: 1, event: 0 },
    ];
    const r = runScenario({ gic: 'toy', vcpus: 1, memory, steps }, { backends: BACKENDS });
    expect(r.failed).toBe(3);
    expect(r.steps[0]!.error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(r.steps[1]!.error).toMatchObject({ code: 'INVALID_CONFIG', message: 'this machine has no ITS to take SYNC' });
    expect(r.steps[2]!.error).toMatchObject({ code: 'INVALID_CONFIG' });
  });

  it('an its step goes through the backend, by the step vCPU, with the RAM the machine was given', () => {
    const seen: unknown[] = [];
    let given: ScenarioMachineOptions['ram'];
    const backend: ScenarioBackend = Object.assign(
      (o: ScenarioMachineOptions) => {
        given = o.ram;
        const { ram: _ram, ...rest } = o;
        return createToy(rest);
      },
      { issueCommand: (_m: unknown, command: string, fields: unknown, vcpu: number) => void seen.push([command, fields, vcpu]) },
    );
    const steps: Step[] = [
      { action: 'poke', address: 0x4000_0000n, value: 0x55n, width: 8 },
      { action: 'its', command: 'INT', fields: { device: 1n, event: 2n }, vcpu: 1 },
    ];
    const r = runScenario({ gic: 'toy', vcpus: 2, memory, steps }, { backends: { toy: backend } });
    expect(r.failed).toBe(0);
    expect(seen).toEqual([['INT', { device: 1n, event: 2n }, 1]]);
    expect(new Uint8Array(given![0]!.buffer)[0]).toBe(0x55);
    expect(r.steps[1]!.action).toBe('vCPU1 its INT device 1 event 2');
  });
});
