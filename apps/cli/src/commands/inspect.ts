/**
 * `vgic inspect FILE [--step N] [--all]`: run a scenario up to a step and
 * print the machine as a reader wants to see it — interrupts, each vCPU's
 * ap_list and list registers, its CPU interface, and the distributor's
 * registers. `vgic inspect SAVED.json` prints a document `snapshot` saved.
 *
 * Registers are read through the backend's register table directly, not as
 * a guest access: looking must not make a vCPU exit or acknowledge anything.
 */
import {
  checkSnapshotDocument,
  createFromSnapshot,
  createScenarioMachine,
  hex,
  irqState,
  lpiMapped,
  runScenario,
  type FrameDef,
  type IrqState,
  type Machine,
  type MachineOptions,
  type RegisterDef,
  type StepRecord,
} from '@vgic/core';
import { itsState } from '@vgic/gicv3';
import { parseArgs, type Spec } from '../args.js';
import { BACKENDS, FACTORIES } from '../backends.js';
import { loadFile, readScenarioBytes } from '../files.js';
import { DEFAULT_LIMITS } from '../load/index.js';
import { quickRead, QuickStop, type Path } from '../load/quick-yaml.js';
import { LineIndex } from '../load/text.js';
import { formatLoadError, paint, type Io, type Paint } from '../report.js';

export const INSPECT_HELP = `Usage: vgic inspect [options] FILE

Run the scenario FILE up to a step (default: to the end) and print the
machine's state: each interrupt that is not in its reset state (pending,
active, enabled, priority, group, trigger, routing, target, the vCPU whose
ap_list holds it, its list register, hardware mapping), each vCPU (running or
not, IRQ/FIQ lines, ap_list in order, list registers decoded and encoded,
PMR, RPR, binary points, EOImode, group enables, active-priority registers),
and the distributor's and redistributors' registers.

FILE may also be a saved GIC (the JSON document saveMachine writes, as a
snapshot step or a VMM saves it): it is restored into a new machine of its
shape and printed the same way; a document that does not restore is
reported at the line and column of the value at fault. Either may be gzipped.

Options:
  --step N    stop after step N (0: the machine as reset)
  --all       every interrupt and every register, not only the interesting
  --json      print the state as JSON
  -h, --help  show this help
`;

const SPEC: Spec = { flags: ['all', 'json'], values: ['step'] };

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function word32(x: number): string {
  return `0x${(x >>> 0).toString(16).padStart(8, '0')}`;
}

/** Read one register element without a guest access (no exit, no side effects on the interface). */
function peek(m: Machine, reg: RegisterDef, offset: number, vcpu: number): string {
  const v = m.vgic;
  if (reg.width === 64) {
    const lo = reg.read(v, vcpu, offset, 32) >>> 0;
    const hi = reg.read(v, vcpu, offset + 4, 32) >>> 0;
    return `0x${((BigInt(hi) << 32n) | BigInt(lo)).toString(16).padStart(16, '0')}`;
  }
  return word32(reg.read(v, vcpu, offset, 32));
}

/** Registers of a trapping frame: single ones always, array elements with --all. */
function frameRegisters(m: Machine, frame: FrameDef, vcpu: number, all: boolean): [string, string][] {
  const rows: [string, string][] = [];
  for (const reg of frame.registers) {
    if (reg.mode === 'wo') continue;
    const count = reg.count ?? 1;
    if (count === 1) {
      rows.push([reg.name, peek(m, reg, reg.offset, vcpu)]);
    } else if (all) {
      const stride = reg.stride ?? reg.width / 8;
      for (let n = 0; n < count; n++) rows.push([`${reg.name}${n + (reg.firstIndex ?? 0)}`, peek(m, reg, reg.offset + n * stride, vcpu)]);
    }
  }
  return rows;
}

function sameState(a: IrqState, b: IrqState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function irqRow(m: Machine, st: IrqState, slot: number): string {
  const yes = (on: boolean, c: string) => (on ? c : '.');
  const who = (x: number | null) => (x === null ? '-' : `vCPU${x}`);
  return [
    pad(String(st.intid).padStart(5), 6),
    pad(st.vcpu === null ? '-' : `vCPU${st.vcpu}`, 7),
    pad(yes(st.pending, 'P') + yes(st.active, 'A') + yes(st.enabled, 'E'), 5),
    pad(hex(st.priority), 6),
    pad(String(st.group), 4),
    pad(st.config, 6),
    // An LPI has no routing word: the backend describes where its collection sends it.
    pad(st.vcpu !== null ? '-' : m.backend.describeRoute(m.vgic, slot), 14),
    pad(who(st.target), 7),
    pad(who(st.queued), 7),
    pad(st.lr === null ? '-' : `LR${st.lr}`, 5),
    st.hw ? `host ${st.hostIntid}` : '-',
    st.intid < 16 && st.sources.length > 0 ? `  sources ${st.sources.join(',')}` : '',
    st.lineLevel ? '  line high' : '',
  ].join('');
}

function lrStateName(state: number): string {
  return ['invalid', 'pending', 'active', 'pending+active'][state & 3]!;
}

/** Whether the machine has an ITS (a GICv3 made with `its`): its frame is among the machine's. */
function hasIts(m: Machine): boolean {
  return m.frames.some((f) => f.name === 'GITS');
}

function hex64(x: bigint): string {
  return `0x${x.toString(16).padStart(16, '0')}`;
}

/** The ITS: its queue, and the devices, collections and translations the guest's commands made. */
function printIts(m: Machine, io: Io, p: Paint): void {
  const its = itsState(m);
  io.out(`\n${p.bold('ITS')}  ${its.enabled ? 'enabled' : 'disabled'} · CBASER ${hex64(its.cbaser)} · CWRITER ${hex(its.cwriter)} · CREADR ${hex(its.creadr)}\n`);
  io.out(`  BASER0 ${hex64(its.baser[0])} (devices)  BASER1 ${hex64(its.baser[1])} (collections)\n`);
  const none = (what: string): void => io.out(`  ${pad(what, 13)}${p.dim('none')}\n`);
  if (its.devices.length === 0) none('devices');
  its.devices.forEach((d, i) => io.out(`  ${pad(i === 0 ? 'devices' : '', 13)}${d.device}: ITT ${hex(d.itt)}, ${d.size} EventID bits\n`));
  if (its.collections.length === 0) none('collections');
  its.collections.forEach((c, i) => io.out(`  ${pad(i === 0 ? 'collections' : '', 13)}${c.collection} → ${c.target === null ? 'unmapped' : `vCPU${c.target}`}\n`));
  if (its.translations.length === 0) none('translations');
  its.translations.forEach((t, i) =>
    io.out(`  ${pad(i === 0 ? 'translations' : '', 13)}device ${t.device} event ${t.event} → LPI ${t.intid}, collection ${t.collection === null ? '-' : t.collection}\n`),
  );
}

function printMachine(m: Machine, fresh: Machine, io: Io, p: Paint, all: boolean): void {
  const v = m.vgic;
  io.out(`${p.bold(`GIC${m.version}`)}: ${m.vcpus} vCPU${m.vcpus === 1 ? '' : 's'}, ${m.spis} SPIs, ${m.lrs} LRs per vCPU\n\n`);

  io.out(`${p.bold('Distributor')}\n`);
  for (const frame of m.frames.filter((f) => f.traps && !f.perVcpu)) {
    for (const [name, value] of frameRegisters(m, frame, 0, all)) io.out(`  ${pad(name, 20)} ${value}\n`);
  }

  io.out(`\n${p.bold('Interrupts')} ${p.dim(all ? '(all)' : '(those not in their reset state; --all for every one)')}\n`);
  io.out(p.dim(`  INTID vCPU   PAE  prio  grp cfg   route         target queued LR   hw\n`));
  let shown = 0;
  for (let slot = 0; slot < v.nrSlots; slot++) {
    // A free LPI slot is no interrupt.
    if (v.isLpiSlot(slot) && !lpiMapped(v, slot)) continue;
    const st = irqState(v, slot);
    if (!all && sameState(st, irqState(fresh.vgic, slot))) continue;
    io.out(`  ${irqRow(m, st, slot)}\n`);
    shown++;
  }
  if (shown === 0) io.out(`  ${p.dim('none: every interrupt is as reset')}\n`);
  if (hasIts(m)) printIts(m, io, p);

  for (let k = 0; k < m.vcpus; k++) {
    const st = m.vcpu(k);
    const lines = `IRQ ${st.irqLine ? p.accent('up') : 'down'} · FIQ ${st.fiqLine ? p.accent('up') : 'down'}`;
    io.out(`\n${p.bold(`vCPU${k}`)}  ${st.running ? 'running' : 'outside'} · ${lines} · hasPending ${m.hasPending(k) ? 'yes' : 'no'}\n`);
    io.out(`  ap_list  ${st.apList.length === 0 ? p.dim('empty') : st.apList.join(', ')}\n`);
    const lrs = m.listRegisters(k);
    if (lrs.length === 0) io.out(`  LRs      ${p.dim(st.running ? 'none in use' : 'none (outside the guest)')}\n`);
    for (const lr of lrs) {
      const extra = [lr.group === 0 ? 'group 0' : 'group 1', lr.hw ? `hw → host ${lr.hostIntid}` : '', lr.eoi ? 'EOI maintenance' : '', lr.intid < 16 && m.version === 'v2' ? `source vCPU${lr.source}` : '']
        .filter((x) => x !== '')
        .join(', ');
      io.out(`  LR${pad(String(lr.lr), 6)} ${pad(`${lr.intid} ${lrStateName(lr.state)} priority ${hex(lr.priority)}, ${extra}`, 56)} ${p.dim(`= 0x${lr.encoded.toString(16).padStart(16, '0')}`)}\n`);
    }
    io.out(`  PMR ${hex(st.pmr)}  RPR ${hex(st.runningPriority)}  BPR0 ${st.bpr0}  BPR1 ${st.bpr1}  CBPR ${st.cbpr ? 1 : 0}  EOImode ${st.eoiMode}  Grp0 ${st.groupEnable[0] ? 'on' : 'off'}  Grp1 ${st.groupEnable[1] ? 'on' : 'off'}\n`);
    io.out(`  AP0R0-3  ${st.apr.slice(0, 4).map(word32).join(' ')}\n  AP1R0-3  ${st.apr.slice(4, 8).map(word32).join(' ')}\n`);
    if (st.kickPending || st.maintenancePending || st.underflowRequested) {
      const flags = [st.kickPending && 'kicked', st.maintenancePending && 'maintenance pending', st.underflowRequested && 'underflow requested'].filter(Boolean);
      io.out(`  ${flags.join(', ')}\n`);
    }
    for (const frame of m.frames.filter((f) => f.traps && f.perVcpu)) {
      io.out(`  ${p.dim(`${frame.name} (its redistributor)`)}\n`);
      for (const [name, value] of frameRegisters(m, frame, k, all)) io.out(`    ${pad(name, 18)} ${value}\n`);
    }
  }
}

/** JSON has no 64-bit integers: the ITS's registers are written as hex strings. */
function bigintsAsHex(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? hex(value) : value;
}

function machineJson(m: Machine): unknown {
  const irqs: IrqState[] = [];
  for (let s = 0; s < m.vgic.nrSlots; s++) if (!m.vgic.isLpiSlot(s) || lpiMapped(m.vgic, s)) irqs.push(irqState(m.vgic, s));
  const vcpus = Array.from({ length: m.vcpus }, (_, k) => ({ ...m.vcpu(k), hasPending: m.hasPending(k), lrs: m.listRegisters(k).map((lr) => ({ ...lr, encoded: hex(lr.encoded) })) }));
  return { gic: m.version, vcpus: m.vcpus, spis: m.spis, lrs: m.lrs, interrupts: irqs, cpus: vcpus, ...(hasIts(m) && { its: itsState(m) }) };
}

/** A saved GIC (saveMachine writes JSON whose 64-bit values are hex strings): a JSON map that is not a scenario. */
function looksSaved(text: string): unknown {
  let js: unknown;
  try {
    js = JSON.parse(text);
  } catch {
    return null;
  }
  if (js === null || typeof js !== 'object' || Array.isArray(js) || 'steps' in js) return null;
  return js;
}

/**
 * The place in a saved document a restore error is about: the JSON path it
 * names (`$.interrupts[3].priority`), or a dotted one (`shape.mpidr`) that
 * starts at one of the document's keys; the document itself otherwise.
 */
function pathIn(message: string, doc: Record<string, unknown>): Path {
  const segments = (text: string): Path => [...text.matchAll(/\.([A-Za-z_]\w*)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
  const dollar = /\$((?:\.[A-Za-z_]\w*|\[\d+\])+)/.exec(message);
  if (dollar !== null) return segments(dollar[1]!);
  for (const m of message.matchAll(/\b([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*|\[\d+\])+)/g)) {
    if (Object.hasOwn(doc, m[1]!)) return [m[1]!, ...segments(m[2]!)];
  }
  return [];
}

/** Print a saved document as the machine it restores to; a document that does not restore is an error (exit 2). */
function inspectSaved(file: string, text: string, doc: Record<string, unknown>, io: Io, p: Paint, all: boolean, json: boolean): number {
  let m: Machine;
  let fresh: Machine;
  try {
    m = createFromSnapshot(doc, FACTORIES);
    const shape = checkSnapshotDocument(doc).shape;
    fresh = FACTORIES[m.version]!({ vcpus: shape.vcpus, spis: shape.spis, lrs: shape.lrs, ...(shape.mpidr && { mpidr: shape.mpidr.map((x) => BigInt(x)) }) } as MachineOptions);
  } catch (e) {
    const message = (e as Error).message;
    const read = quickRead(text, DEFAULT_LIMITS.maxDepth);
    const offset = read instanceof QuickStop ? 0 : read.locations.offsetOf(pathIn(message, doc));
    const { line, col } = new LineIndex(text).pos(offset);
    io.err(`${p.bad('error')} ${file}:${line}:${col}: not a scenario, and not a saved GIC that can be restored: ${message}\n`);
    return 2;
  }
  if (json) {
    io.out(`${JSON.stringify(machineJson(m), bigintsAsHex, 2)}\n`);
    return 0;
  }
  io.out(`${p.bold(file)} ${p.dim('(a saved GIC, restored into a new machine)')}\n\n`);
  printMachine(m, fresh, io, p, all);
  return 0;
}

export function inspectCommand(argv: readonly string[], io: Io): number {
  const args = parseArgs(argv, SPEC);
  if (args.help) {
    io.out(INSPECT_HELP);
    return 0;
  }
  if (args.error === undefined && args.positional.length !== 1) args.error = 'name one scenario file';
  const stepArg = args.values.get('step');
  const until = stepArg === undefined ? undefined : Number(stepArg);
  if (args.error === undefined && until !== undefined && (!Number.isInteger(until) || until < 0)) args.error = `--step takes a step number, not ${stepArg}`;
  if (args.error !== undefined) {
    io.err(`vgic inspect: ${args.error}\n\n${INSPECT_HELP}`);
    return 2;
  }
  const file = args.positional[0]!;
  const all = args.flags.has('all');
  const json = args.flags.has('json');
  const p = paint(io.colour && !json);

  if (/\.json(\.gz)?$/i.test(file)) {
    const read = readScenarioBytes(file, DEFAULT_LIMITS.maxFileSize);
    // A file that cannot be read is loadFile's to report.
    const text = 'bytes' in read ? new TextDecoder().decode(read.bytes) : '';
    const saved = text === '' ? null : looksSaved(text);
    if (saved !== null) return inspectSaved(file, text, saved as Record<string, unknown>, io, p, all, json);
  }

  const loaded = loadFile(file);
  if ('errors' in loaded) {
    for (const e of loaded.errors) io.err(`${p.bad('error')} ${formatLoadError(e)}\n`);
    return 2;
  }
  const s = loaded.scenario;
  if (until !== undefined && until > s.steps.length) {
    io.err(`vgic inspect: ${file} has ${s.steps.length} steps; --step takes 0..${s.steps.length}\n`);
    return 2;
  }
  let last: StepRecord | undefined;
  const result = runScenario(s, {
    backends: BACKENDS,
    changes: false,
    keepSteps: false,
    onStep: (r) => {
      last = r;
    },
    ...(until !== undefined && { until }),
  });
  const m = result.machine;
  if (json) {
    io.out(`${JSON.stringify({ file, step: result.ran, passed: result.passed, failed: result.failed, machine: machineJson(m) }, bigintsAsHex, 2)}\n`);
    return 0;
  }
  const where = last === undefined ? 'as reset (step 0)' : `after step ${last.index} of ${s.steps.length}: ${last.action}`;
  io.out(`${p.bold(file)}${s.name !== undefined ? ` — ${s.name}` : ''}\n${where}\n`);
  if (result.failed > 0) io.out(`${p.bad(`${result.failed} check${result.failed === 1 ? '' : 's'} failed on the way (vgic run shows which)`)}\n`);
  io.out('\n');
  printMachine(m, createScenarioMachine(s, BACKENDS), io, p, all);
  return 0;
}
