import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../src/backends.js';
import { loadScenario, type LoadError } from '../src/load/index.js';
import { scenarioFile, vgic } from './helpers.js';

function errors(text: string | Uint8Array, file = 'bad.yaml'): LoadError[] {
  const r = loadScenario(text, file, { backends: BACKENDS });
  if (r.ok) throw new Error('expected the scenario to be refused');
  return r.errors;
}

/** The one error a file has, as the CLI prints it. */
function only(text: string | Uint8Array): string {
  const e = errors(text);
  expect(e).toHaveLength(1);
  return `${e[0]!.line}:${e[0]!.col}: ${e[0]!.message}`;
}

const V2 = 'gic: v2\nvcpus: 2\nsteps:\n';
const V3 = 'gic: v3\nvcpus: 2\nsteps:\n';

describe('a file that is not text or not YAML', () => {
  it('names the first byte that is not UTF-8', () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('gic: v2\nvcpus: 1\nst'), 0xff, 0xfe, 0x41]);
    expect(only(bytes)).toBe('3:3: this is not a scenario: the file is not UTF-8 text (it holds a byte sequence UTF-8 does not allow)');
  });

  it('names a control character, as in binary data', () => {
    expect(only('gic: v2\n\u0000\u0001')).toMatch(/^2:1: this is not a scenario: the file holds a control character \(0x00\)/);
  });

  it('reports YAML syntax errors where they are', () => {
    expect(only('gic: v2\nvcpus: [1, 2\nsteps: []\n')).toMatch(/^\d+:\d+: this is not valid YAML or JSON: /);
  });

  it('reports a duplicated key', () => {
    expect(only('gic: v2\nvcpus: 1\ngic: v3\nsteps: []\n')).toBe('3:1: this is not valid YAML or JSON: Map keys must be unique');
  });

  it('reports broken JSON with its position', () => {
    expect(only('{"gic": "v2", "vcpus": 1, "steps": [}')).toMatch(/^1:\d+: this is not valid YAML or JSON/);
  });

  it('refuses a document that is not a map', () => {
    expect(only('- write: GICD_CTLR\n')).toBe('1:1: a scenario is a map with gic, vcpus and steps; this file holds a list');
    expect(only('')).toBe('1:1: a scenario is a map with gic, vcpus and steps; this file holds nothing (an empty value)');
  });
});

describe('the header', () => {
  it('names wrong types', () => {
    expect(only('gic: v2\nvcpus: two\nsteps: []\n')).toBe('2:8: vcpus must be a whole number, not a string ("two")');
    expect(only('gic: v2\nvcpus: 1.5\nsteps: []\n')).toBe('2:8: vcpus must be a whole number, not a fraction (1.5)');
    expect(only('gic: v2\nvcpus: 1\nsteps: {}\n')).toBe('3:8: steps must be a list, not a map');
  });

  it('names unknown keys and suggests the one meant', () => {
    expect(only('gic: v2\nvcpus: 1\nstpes: []\nsteps: []\n')).toBe(
      '3:1: unknown key stpes in a scenario — did you mean steps? (allowed: name, gic, vcpus, spis, lrs, mpidr, its, lpis, memory, steps)',
    );
  });

  it('names missing keys', () => {
    expect(only('gic: v2\nvcpus: 1\n')).toBe('1:1: a scenario needs steps');
  });

  it('refuses more vCPUs than the version allows', () => {
    expect(only('gic: v2\nvcpus: 9\nsteps: []\n')).toBe('2:8: vcpus must be 1..8 for GICv2; got 9');
    expect(only('gic: v3\nvcpus: 513\nsteps: []\n')).toBe('2:8: vcpus must be at most 512 (got 513)');
  });

  it('refuses SPI counts that are not a multiple of 32, and LR counts outside 1..16', () => {
    expect(only('gic: v3\nvcpus: 1\nspis: 40\nsteps: []\n')).toBe('3:7: spis must be a multiple of 32 (got 40)');
    expect(only('gic: v3\nvcpus: 1\nspis: 1024\nsteps: []\n')).toBe('3:7: spis must be at most 988 (got 1024)');
    expect(only('gic: v3\nvcpus: 1\nlrs: 0\nsteps: []\n')).toBe('3:6: lrs must be at least 1 (got 0)');
    expect(only('gic: v3\nvcpus: 1\nlrs: 17\nsteps: []\n')).toBe('3:6: lrs must be at most 16 (got 17)');
  });

  it('refuses an unknown GIC version', () => {
    expect(only('gic: v4\nvcpus: 1\nsteps: []\n')).toBe('1:6: gic must be one of v2, v3 (got "v4")');
  });

  it('checks mpidr: GICv3 only, one per vCPU, unique, affinity bits only', () => {
    expect(only('gic: v2\nvcpus: 2\nmpidr: [0, 1]\nsteps: []\n')).toBe('3:1: mpidr is for GICv3, which routes by affinity; GICv2 has none');
    expect(only('gic: v3\nvcpus: 2\nmpidr: [0]\nsteps: []\n')).toBe('3:8: mpidr lists 1 affinities for 2 vCPUs: give one per vCPU');
    expect(only('gic: v3\nvcpus: 2\nmpidr: [0x100, 0x100]\nsteps: []\n')).toBe('3:16: vCPUs 0 and 1 have the same affinity 0x100');
    expect(only('gic: v3\nvcpus: 1\nmpidr: [0x1000000]\nsteps: []\n')).toMatch(/^3:9: mpidr of vCPU 0, 0x1000000, has bits outside/);
  });
});

describe('steps', () => {
  it('refuses two actions in one step, at the second', () => {
    expect(only(`${V2}  - write: GICD_CTLR\n    read: GICD_CTLR\n    value: 1\n`)).toBe(
      '5:5: step 1 has 2 actions (write, read); a step has exactly one — split it into 2 steps',
    );
  });

  it('refuses a step with no action, guessing a misspelt one', () => {
    expect(only(`${V2}  - wirte: GICD_CTLR\n    value: 1\n`)).toBe(
      '4:5: step 1 has no action (did you mean write, not wirte?): a step needs one of write, read, inject, map, run, exit, check, snapshot, restore, poke, peek, its, msi',
    );
  });

  it('refuses a step that is not a map', () => {
    expect(only(`${V2}  - hello\n`)).toBe('4:5: step 1 must be a map with one action (like write: GICD_CTLR), not a string ("hello")');
  });

  it('names unknown keys of a step, with what the action takes', () => {
    expect(only(`${V2}  - write: GICD_CTLR\n    valu: 1\n    value: 1\n`)).toBe(
      '5:5: step 1: unknown key valu in a write step — did you mean value? (allowed: write, value, width, rd, vcpu, expectError)',
    );
    expect(only(`${V2}  - check: { irq: 40, pendin: true }\n`)).toMatch(/^4:23: step 1: unknown key pendin in check — did you mean pending\?/);
  });

  it('names missing values and wrong types', () => {
    expect(only(`${V2}  - write: GICD_CTLR\n`)).toBe('4:5: step 1: a write step needs value');
    expect(only(`${V2}  - run: zero\n`)).toBe('4:10: step 1: run takes a vCPU number, not a string ("zero")');
    expect(only(`${V2}  - write: GICD_CTLR\n    value: xyz\n`)).toBe('5:12: step 1: value must be a number, decimal or 0x hex (got "xyz")');
    expect(only(`${V2}  - check: { irq: 40, pending: yes }\n`)).toBe('4:32: step 1: check.pending must be true or false, not a string ("yes")');
  });

  it('refuses levels other than 0 and 1, and widths other than 8, 16, 32, 64', () => {
    expect(only(`${V2}  - inject: 40\n    level: 2\n`)).toBe('5:12: step 1: level must be one of 0, 1, true, false (got 2)');
    expect(only(`${V2}  - read: GICD_CTLR\n    width: 12\n`)).toBe('5:12: step 1: width must be one of 8, 16, 32, 64 (got 12)');
  });

  it('refuses a vCPU the machine does not have', () => {
    expect(only(`${V2}  - read: GICC_IAR\n    vcpu: 2\n`)).toBe('5:11: step 1: vCPU 2 does not exist: this machine has vCPUs 0..1 (vcpus: 2)');
    expect(only(`${V2}  - run: 5\n`)).toBe('4:10: step 1: vCPU 5 does not exist: this machine has vCPUs 0..1 (vcpus: 2)');
    expect(only(`${V3}  - read: GICR_CTLR\n    rd: 3\n`)).toBe('5:9: step 1: vCPU 3 does not exist: this machine has vCPUs 0..1 (vcpus: 2)');
    expect(only(`${V2}  - check: { vcpu: 4, hasPending: false }\n`)).toBe('4:20: step 1: vCPU 4 does not exist: this machine has vCPUs 0..1 (vcpus: 2)');
  });

  it('lets a step that expects INVALID_VCPU name a missing vCPU', () => {
    expect(loadScenario(`${V2}  - inject: 40\n    vcpu: 7\n    expectError: INVALID_VCPU\n`, 'ok.yaml', { backends: BACKENDS }).ok).toBe(true);
  });

  it('refuses an unknown error code', () => {
    expect(only(`${V2}  - inject: 40\n    expectError: EINVAL\n`)).toMatch(/^5:18: step 1: expectError must be one of INVALID_INTID, INVALID_VCPU, /);
  });

  it('names an unknown register and the one meant', () => {
    expect(only(`${V3}  - write: GICD_ISENABLE1\n    value: 1\n`)).toBe('4:12: step 1: unknown register GICD_ISENABLE1 on GICv3 — did you mean GICD_ISENABLER1?');
  });

  it('names a register the chosen GIC version lacks', () => {
    expect(only(`${V2}  - read: ICC_IAR1_EL1\n`)).toBe(
      '4:11: step 1: unknown register ICC_IAR1_EL1 on GICv2 (GICv2 has no GIC system registers: its CPU interface is the GICC_* registers)',
    );
    expect(only(`${V3}  - read: GICC_IAR\n`)).toMatch(/^4:11: step 1: unknown register GICC_IAR on GICv3.*on GICv3 the CPU interface is the ICC_\*_EL1 system registers/);
    expect(only(`${V2}  - read: GICR_TYPER\n`)).toMatch(/^4:11: step 1: unknown register GICR_TYPER on GICv2.*GICv2 has no redistributors/);
    expect(only(`${V2}  - read: GICD_IROUTER40\n`)).toMatch(/^4:11: step 1: unknown register GICD_IROUTER40 on GICv2/);
  });

  it('names an array index out of range and a raw offset beyond its frame', () => {
    expect(only(`${V3}  - read: GICD_IROUTER12\n`)).toMatch(/^4:11: step 1: GICD_IROUTER12: GICD_IROUTER<n> takes n = 32\.\./);
    expect(only(`${V2}  - read: GICD+0x10000\n`)).toMatch(/^4:11: step 1: GICD\+0x10000 is beyond the GICD frame/);
  });

  it('refuses values that do not fit: 64 bits, or the access width', () => {
    expect(only(`${V3}  - write: GICD_IROUTER40\n    value: 0x10000000000000000\n`)).toBe('5:12: step 1: value 0x10000000000000000 does not fit in 64 bits');
    expect(only(`${V3}  - write: GICD_CTLR\n    value: 0x100000000\n`)).toBe('5:12: step 1: value 0x100000000 does not fit in a 32-bit access of GICD_CTLR');
    expect(only(`${V3}  - write: GICD+0x400\n    width: 8\n    value: 0x1a0\n`)).toBe('6:12: step 1: value 0x1a0 does not fit in a 8-bit access of GICD+0x400');
    expect(only(`${V3}  - read: GICD_CTLR\n    expect: 0x1ffffffff\n`)).toBe('5:13: step 1: expect 0x1ffffffff does not fit in a 32-bit access of GICD_CTLR');
  });

  it('refuses width and rd where they mean nothing', () => {
    expect(only(`${V3}  - read: ICC_IAR1_EL1\n    width: 32\n`)).toBe('5:5: step 1: width applies to memory-mapped registers; ICC_IAR1_EL1 is a 64-bit system register');
    expect(only(`${V3}  - read: GICD_CTLR\n    rd: 1\n`)).toBe('5:5: step 1: rd names whose redistributor to access; GICD_CTLR is in the GICD frame, not a redistributor');
  });

  it('refuses checks that compare nothing or name interrupt fields without an interrupt', () => {
    expect(only(`${V2}  - check: { irq: 40 }\n`)).toMatch(/^4:12: step 1: check compares nothing: name at least one of pending, /);
    expect(only(`${V2}  - check: { pending: true }\n`)).toBe('4:14: step 1: pending is a field of an interrupt: say which one with irq:');
    expect(only(`${V2}  - check: { vcpu: 0, ordered: true, hasPending: true }\n`)).toBe('4:23: step 1: ordered applies to apList, which this check does not name');
  });

  it('refuses a restore of a snapshot not taken before it', () => {
    expect(only(`${V2}  - restore: before\n  - snapshot: before\n`)).toBe('4:14: step 1: no snapshot named before is taken before this step');
  });

  it('refuses a read that both expects a value and an error', () => {
    expect(only(`${V2}  - read: GICC_IAR\n    expect: 1023\n    expectError: INVALID_VCPU\n`)).toBe(
      '6:5: step 1: a read that must fail reads nothing: drop expect/mask or expectError',
    );
  });

  it('reports every error of a file, in file order', () => {
    const e = errors(`${V2}  - run: 9\n  - write: GICD_NOPE\n    value: 1\n  - check: { active: true }\n`);
    expect(e.map((x) => x.line)).toEqual([4, 5, 7]);
  });
});

describe('numbers stay exact to 64 bits', () => {
  it('keeps YAML hex and decimal values exact', () => {
    const r = loadScenario(`${V3}  - write: GICD_IROUTER40\n    value: 0xffffffff00ffff10\n  - read: GICD_IROUTER40\n    expect: 18446744069431361296\n    mask: 0xffffffffffffffff\n`, 'x.yaml', {
      backends: BACKENDS,
    });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const [w, rd] = r.scenario.steps;
    expect(w).toMatchObject({ action: 'write', value: 0xffffffff00ffff10n });
    expect(rd).toMatchObject({ action: 'read', expect: 0xffffffff00ffff10n, mask: 0xffffffffffffffffn });
  });

  it('keeps JSON integers exact, and takes hex strings in JSON', () => {
    const json = JSON.stringify({ gic: 'v3', vcpus: 1, steps: [{ write: 'GICD_IROUTER40', value: 'VALUE' }, { read: 'GICD_IROUTER40', expect: '0xffffffff00ffff10' }] }).replace('"VALUE"', '18446744069431361296');
    const r = loadScenario(json, 'x.json', { backends: BACKENDS });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.scenario.steps[0]).toMatchObject({ value: 0xffffffff00ffff10n });
    expect(r.scenario.steps[1]).toMatchObject({ expect: 0xffffffff00ffff10n });
  });
});

describe('the CLI prints load errors as FILE:LINE:COL: sentence, exit 2, no stack', () => {
  it('prints each error on its own line', async () => {
    const file = scenarioFile(`${V3}  - write: GICD_ISENABLE1\n    value: 0x100\n`);
    const r = await vgic(['run', file]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`error ${file}:4:12: step 1: unknown register GICD_ISENABLE1 on GICv3 — did you mean GICD_ISENABLER1?\n`);
    expect(r.err).not.toMatch(/\bat .*\(.*:\d+:\d+\)/);
    expect(r.out).toBe('');
  });

  it('handles a binary file', async () => {
    const file = scenarioFile(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0xff, 0xfe]), 'yaml');
    const r = await vgic(['run', file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1:1: this is not a scenario`));
  });
});
