/** Running the CLI in-process on scenario text, with its output captured. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/main.js';
import type { Io } from '../src/report.js';

export interface Captured {
  code: number;
  out: string;
  err: string;
}

export async function vgic(argv: string[], colour = false): Promise<Captured> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t), colour };
  const code = await main(argv, io);
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'vgic-cli-'));
let n = 0;

/** Write scenario text (or bytes) to a fresh file and return its path. */
export function scenarioFile(content: string | Uint8Array, ext = 'yaml'): string {
  const file = join(dir, `s${++n}.${ext}`);
  writeFileSync(file, content);
  return file;
}

/** Run one scenario given as text. */
export async function runText(content: string, ...flags: string[]): Promise<Captured & { file: string }> {
  const file = scenarioFile(content);
  return { ...(await vgic(['run', ...flags, file])), file };
}

/** The standard GICv3 preamble: distributor and vCPU 0's interface on, SPI 40 enabled at 0xa0. */
export const V3_PREAMBLE = `gic: v3
vcpus: 2
spis: 64
steps:
  - write: GICD_CTLR
    value: 0x12
  - write: GICD_ISENABLER1
    value: 0x100
  - write: GICD_IPRIORITYR10
    value: 0xa0
  - write: ICC_PMR_EL1
    value: 0xff
  - write: ICC_IGRPEN1_EL1
    value: 1
`;

export const V2_PREAMBLE = `gic: v2
vcpus: 2
steps:
  - write: GICD_CTLR
    value: 1
  - write: GICD_ISENABLER1
    value: 0x100
  - write: GICD_ITARGETSR10
    value: 0x01
  - write: GICC_PMR
    value: 0xff
  - write: GICC_CTLR
    value: 1
`;
