/**
 * `vgic stress --gic v2|v3 --vcpus N --seconds S [--json]`: one worker
 * thread per vCPU, injector threads hammering edge and level SPIs, SGIs
 * between the vCPUs, a thread retargeting interrupts and toggling their
 * enables, the lock-order checker on; then a drain and the books. Exit 0
 * only when nothing was lost, no lock order was broken and the state is
 * sound. `--lpi` runs the LPI storm instead: device threads signalling MSIs
 * through the ITS, a thread churning its translations.
 */
import { runLpiStress, runStress, type BackendRef, type LpiStressReport, type StressReport } from '@vgic/core/threads';
import { parseArgs, type Spec } from '../args.js';

export const STRESS_HELP = `Usage: vgic stress [options]

Run the vGIC with one worker thread per vCPU under a storm: injector threads
raise edge and level SPIs as fast as they can, the vCPU guests send each
other SGIs (through GICD_SGIR or ICC_SGI1R_EL1, as a guest does), a thread
retargets SPIs (ITARGETSR / IROUTER) and toggles their enables, a thread
turns the distributor off and on, two threads write the two halves of a few
IROUTERs (GICv3), and the vCPUs with EOImode 1 hand DIRs to each other. The
lock-order checker runs in every thread. At the end every SPI is enabled
again, the vCPUs take what is left, and the books are checked:

  injected    edge SPI injections (each rising edge) and SGIs sent
  delivered   acknowledges of them by the vCPUs
  coalesced   injections that found the interrupt already pending, plus
              edges merged into one waiting in a list register
  lost        injected - delivered - coalesced
  lockOrderViolations   lock-order violations in any thread
  invariantViolations   problems in the state after the drain

Level SPIs are counted apart (raised by the injectors, acknowledged, lowered
by the guest that services them). So are the races the other threads aim at:
an enable of the distributor that left a held-high interrupt on no ap_list,
an IROUTER half write lost to a write of the other half, a DIR handed to
another vCPU and never made; each is an invariant violation. Exit status: 0
when lost, level lost, lockOrderViolations and invariantViolations are all
0; 1 otherwise; 2 for a bad command line.

With --lpi (GICv3) the storm is of LPIs instead: a device thread per
device signals MSIs for its events (KVM_SIGNAL_MSI) while the vCPU threads
take and EOI the LPIs, and a thread churns the ITS's translations through
the guest's command queue: MOVI, MOVALL, INT, and DISCARD followed by a
MAPTI of the same event to another LPI. One event in four is quiet (mapped
and churned, never signalled). The books:

  injected    MSIs the ITS translated, plus INT commands
  delivered   acknowledges of those LPIs by the vCPUs
  coalesced   MSIs that found their LPI already pending, plus those merged
              into one waiting in a list register
  dropped pending   pending LPIs a DISCARD took away before a vCPU did
  lost        injected - delivered - coalesced - dropped pending
  MSIs dropped     MSIs with no translation (their event was being
              re-mapped); one dropped while its event stayed mapped, or an
              acknowledge of a quiet event's LPI, is an invariant violation

Options:
  --gic v2|v3          GIC version (default v3)
  --vcpus N            vCPUs, one worker thread each (default 2)
  --seconds S          how long the injectors run (default 5)
  --injectors N        injector threads (default 2)
  --edge-spis N        edge-triggered SPIs (default 24)
  --level-spis N       level-triggered SPIs (default 8)
  --lrs N              list registers per vCPU (default 4)
  --seed N             seed of the random choices (default 1)
  --lpi                the LPI storm through the ITS (GICv3)
  --devices N          with --lpi: devices, a thread each (default 2)
  --events N           with --lpi: events per device (default 16)
  --break-queue-recheck
                       run a deliberately broken engine (queueIrqUnlock
                       without its re-check), to watch the run catch it
  --json               print the report as JSON
  -h, --help           show this help
`;

const SPEC: Spec = {
  flags: ['json', 'break-queue-recheck', 'lpi'],
  values: ['gic', 'vcpus', 'seconds', 'injectors', 'edge-spis', 'level-spis', 'lrs', 'seed', 'devices', 'events'],
};

/** Options that only the SPI storm takes, and those only the LPI storm takes. */
const SPI_ONLY = ['injectors', 'edge-spis', 'level-spis'];
const LPI_ONLY = ['devices', 'events'];

/** A module's URL as this process resolves it, so worker threads load the very same file. */
function resolved(specifier: string): string {
  try {
    return import.meta.resolve(specifier);
  } catch {
    return specifier;
  }
}

function backends(): Record<string, BackendRef> {
  return {
    v2: { module: resolved('@vgic/gicv2'), create: 'createGicv2', attach: 'attachGicv2', guest: 'gicv2Guest' },
    v3: { module: resolved('@vgic/gicv3'), create: 'createGicv3', attach: 'attachGicv3', guest: 'gicv3Guest' },
  };
}

function num(values: Map<string, string>, name: string, fallback: number, min: number, integer = true): number | string {
  const s = values.get(name);
  if (s === undefined) return fallback;
  const n = Number(s);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    return `--${name} must be ${integer ? 'an integer' : 'a number'} of at least ${min}; got ${s}`;
  }
  return n;
}

function human(r: StressReport): string {
  const lines = [
    `GIC${r.gic}: ${r.vcpus} vCPU threads, ${r.injectors} injector threads, ${r.seconds} s`,
    `  injected             ${r.injected}  (edge ${r.edge.injected}, SGI ${r.sgi.sent})`,
    `  delivered            ${r.delivered}  (edge ${r.edge.delivered}, SGI ${r.sgi.delivered})`,
    `  coalesced            ${r.coalesced}  (at injection ${r.edge.coalescedAtInjection}, in a list register ${r.edge.coalescedInLr})`,
    `  lost                 ${r.lost}`,
    `  level                raised ${r.level.raised}, delivered ${r.level.delivered}, lowered ${r.level.lowered}, lost ${r.level.lost}`,
    `  retargeting          ${r.retarget.retargets} routes, ${r.retarget.disables} disables, ${r.retarget.enables} enables`,
    `  distributor          ${r.distToggle.toggles} times off and on, ${r.distToggle.delivered} held-high deliveries, ${r.distToggle.lost} left on no ap_list`,
    `  IROUTER halves       ${r.irouterHalves.writes} writes, ${r.irouterHalves.lostWrites} lost`,
    `  DIR for another vCPU ${r.crossDir.handed} handed, ${r.crossDir.done} made`,
    `  WFI                  ${r.wfi.sleeps} sleeps, ${r.wfi.kicks} ended by a kick, ${r.wfi.timeouts} by the timeout`,
    `  throughput           ${r.throughput.deliveredPerSecond} delivered/s, ${r.throughput.injectionsPerSecond} injections/s`,
    ...verdictLines(r),
  ];
  return `${lines.join('\n')}\n`;
}

/** The lines both reports end with: the violation counts, the first problems, and the verdict. */
function verdictLines(r: { lockOrderViolations: number; invariantViolations: number; problems: readonly string[]; ok: boolean }): string[] {
  return [
    `  lockOrderViolations  ${r.lockOrderViolations}`,
    `  invariantViolations  ${r.invariantViolations}`,
    ...r.problems.slice(0, 20).map((p) => `    - ${p}`),
    ...(r.problems.length > 20 ? [`    … and ${r.problems.length - 20} more`] : []),
    r.ok ? 'PASS' : 'FAIL',
  ];
}

function humanLpi(r: LpiStressReport): string {
  const lines = [
    `GIC${r.gic} LPIs: ${r.vcpus} vCPU threads, ${r.deviceThreads} device threads (${r.devices} devices × ${r.eventsPerDevice} events), ${r.seconds} s`,
    `  injected             ${r.injected}  (MSIs translated ${r.msi.translated}, INT ${r.commands.raised})`,
    `  delivered            ${r.delivered}`,
    `  coalesced            ${r.coalesced}`,
    `  dropped pending      ${r.droppedPending}`,
    `  lost                 ${r.lost}`,
    `  MSIs                 ${r.msi.sent} sent, ${r.msi.dropped} dropped (no translation), ${r.msi.wronglyDropped} dropped while mapped`,
    `  commands             ${r.commands.movi} MOVI, ${r.commands.movall} MOVALL, ${r.commands.remaps} DISCARD+MAPTI, ${r.commands.raised} INT`,
    `  unexpected           ${r.unexpected}`,
    `  WFI                  ${r.wfi.sleeps} sleeps, ${r.wfi.kicks} ended by a kick, ${r.wfi.timeouts} by the timeout`,
    `  throughput           ${r.throughput.msisPerSecond} MSIs/s, ${r.throughput.deliveredPerSecond} delivered/s`,
    ...verdictLines(r),
  ];
  return `${lines.join('\n')}\n`;
}

export async function run(args: string[]): Promise<number> {
  const a = parseArgs(args, SPEC);
  if (a.help) {
    process.stdout.write(STRESS_HELP);
    return 0;
  }
  const gic = a.values.get('gic') ?? 'v3';
  const opts = {
    vcpus: num(a.values, 'vcpus', 2, 1),
    seconds: num(a.values, 'seconds', 5, 0.1, false),
    injectors: num(a.values, 'injectors', 2, 0),
    edgeSpis: num(a.values, 'edge-spis', 24, 0),
    levelSpis: num(a.values, 'level-spis', 8, 0),
    lrs: num(a.values, 'lrs', 4, 1),
    seed: num(a.values, 'seed', 1, 0),
    devices: num(a.values, 'devices', 2, 1),
    events: num(a.values, 'events', 16, 1),
  };
  const bad = Object.values(opts).find((x) => typeof x === 'string');
  const lpi = a.flags.has('lpi');
  const misplaced = (lpi ? SPI_ONLY : LPI_ONLY).find((name) => a.values.has(name));
  const error =
    a.error ??
    (a.positional.length > 0 ? `unexpected argument ${a.positional[0]}` : undefined) ??
    (gic !== 'v2' && gic !== 'v3' ? `--gic must be v2 or v3; got ${gic}` : undefined) ??
    (lpi && gic !== 'v3' ? `--lpi needs --gic v3: GIC${gic} has no LPIs` : undefined) ??
    (misplaced !== undefined ? `--${misplaced} ${lpi ? 'is for the SPI storm, not --lpi' : 'needs --lpi'}` : undefined) ??
    (lpi && a.flags.has('break-queue-recheck') ? '--break-queue-recheck is for the SPI storm, not --lpi' : undefined) ??
    (typeof bad === 'string' ? bad : undefined);
  if (error !== undefined) {
    process.stderr.write(`vgic stress: ${error}\n\n${STRESS_HELP}`);
    return 2;
  }
  const n = opts as Record<keyof typeof opts, number>;
  if (lpi) return runLpi(n, a.flags);
  let report: StressReport;
  try {
    report = await runStress({
      gic,
      backends: backends(),
      vcpus: n.vcpus,
      seconds: n.seconds,
      injectors: n.injectors,
      edgeSpis: n.edgeSpis,
      levelSpis: n.levelSpis,
      lrs: n.lrs,
      seed: n.seed,
      breakQueueRecheck: a.flags.has('break-queue-recheck'),
    });
  } catch (e) {
    process.stderr.write(`vgic stress: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  if (a.flags.has('json')) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(human(report));
  return report.ok ? 0 : 1;
}

async function runLpi(n: Record<'vcpus' | 'seconds' | 'lrs' | 'seed' | 'devices' | 'events', number>, flags: Set<string>): Promise<number> {
  let report: LpiStressReport;
  try {
    report = await runLpiStress({
      gic: 'v3',
      backends: backends(),
      vcpus: n.vcpus,
      seconds: n.seconds,
      devices: n.devices,
      eventsPerDevice: n.events,
      lrs: n.lrs,
      seed: n.seed,
    });
  } catch (e) {
    process.stderr.write(`vgic stress: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  if (flags.has('json')) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(humanLpi(report));
  return report.ok ? 0 : 1;
}
