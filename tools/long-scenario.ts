/**
 * A long scenario of the kind a kvm-unit-tests micro-benchmark records: a
 * GICv3 guest on two vCPUs set up once, then the same loops over and over —
 * an IPI (ICC_SGI1R_EL1 from vCPU 0, IAR and EOIR on vCPU 1), a device SPI
 * (host line up, IAR, EOIR, line down), an EOI of nothing (1023), an MMIO
 * read of the distributor — written as recorded guests are, one flow map a
 * line with an expected value on every read. Every check holds on a correct
 * GIC, so the file measures the runner and the loader, not the failures.
 *
 *   node --import tsx tools/long-scenario.ts STEPS [OUT.yaml]   (default: stdout)
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { pathToFileURL } from 'node:url';

const SETUP = [
  '  - { write: GICD_CTLR, value: 0x12 }                       # ARE_NS | EnableGrp1A',
  '  - { write: GICD_ISENABLER1, value: 0x100 }                # INTID 40',
  '  - { write: GICD_IPRIORITYR10, value: 0xa0 }',
  '  - { write: GICR_ISENABLER0, rd: 1, value: 0x2, vcpu: 1 }  # SGI 1 on vCPU 1',
  '  - { write: ICC_PMR_EL1, value: 0xff, vcpu: 0 }',
  '  - { write: ICC_IGRPEN1_EL1, value: 1, vcpu: 0 }',
  '  - { write: ICC_PMR_EL1, value: 0xff, vcpu: 1 }',
  '  - { write: ICC_IGRPEN1_EL1, value: 1, vcpu: 1 }',
];

/** One pass of the loops: 12 steps. */
function loop(i: number): string {
  return [
    `  - { write: ICC_SGI1R_EL1, value: 0x1000002, vcpu: 0 }  # pass ${i}: IPI to vCPU 1`,
    '  - { read: ICC_IAR1_EL1, vcpu: 1, expect: 0x1 }',
    '  - { write: ICC_EOIR1_EL1, value: 0x1, vcpu: 1 }',
    '  - { read: ICC_IAR1_EL1, vcpu: 1, expect: 0x3ff }',
    '  - { inject: 40, level: 1 }',
    '  - { read: ICC_IAR1_EL1, vcpu: 0, expect: 0x28 }',
    '  - { read: ICC_RPR_EL1, vcpu: 0, expect: 0xa0 }',
    '  - { write: ICC_EOIR1_EL1, value: 0x28, vcpu: 0 }',
    '  - { inject: 40, level: 0 }',
    '  - { write: ICC_EOIR1_EL1, value: 0x3ff, vcpu: 0 }',
    '  - { read: GICD_ISENABLER1, vcpu: 0, expect: 0x100 }',
    '  - { read: ICC_IAR1_EL1, vcpu: 0, expect: 0x3ff }',
  ].join('\n');
}

/** The scenario's text, in pieces, for `steps` steps (at least the set-up's 8). */
export function* longScenario(steps: number): Generator<string> {
  yield `# ${steps} steps of kvm-unit-tests micro-benchmark traffic (tools/long-scenario.ts)\n`;
  yield `name: 'micro-bench loops, ${steps} steps'\ngic: v3\nvcpus: 2\nsteps:\n`;
  yield `${SETUP.join('\n')}\n`;
  let left = steps - SETUP.length;
  for (let i = 1; left > 0; i++) {
    const lines = loop(i).split('\n');
    yield `${lines.slice(0, Math.min(left, lines.length)).join('\n')}\n`;
    left -= lines.length;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const steps = Number(process.argv[2]);
  if (!Number.isInteger(steps) || steps < SETUP.length) {
    process.stderr.write(`usage: long-scenario.ts STEPS [OUT.yaml]   (STEPS a whole number, at least ${SETUP.length})\n`);
    process.exit(2);
  }
  const out: NodeJS.WritableStream = process.argv[3] === undefined ? process.stdout : createWriteStream(process.argv[3]);
  for (const piece of longScenario(steps)) if (!out.write(piece)) await once(out, 'drain');
  if (out !== process.stdout) out.end();
}
