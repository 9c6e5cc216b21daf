/**
 * The operation-sequence fuzzer: fast-check generates a machine and a
 * sequence of host, guest and raw operations (on a GICv3 with an ITS, LPI
 * and ITS ones too); every call is checked as it
 * is made; a failing case is shrunk, re-run with recording on, printed as a
 * scenario file, and that file is replayed to confirm it reproduces.
 */
import fc from 'fast-check';
import { buildMachine, configArbitrary, type GicVersion, type MachineConfig } from './config.js';
import { runCase } from './execute.js';
import { caseArbitrary, type FuzzCase } from './ops.js';
import type { ExtraCheck } from './recorder.js';
import { replayScenario } from './replay.js';
import { oneLine, scenarioText } from './scenario.js';

export interface MachineFuzzOptions {
  gic: GicVersion;
  /** GICv3 only: machines with LPIs, an ITS and guest RAM, and the LPI and ITS operations (the `its` target). */
  its?: boolean;
  runs: number;
  seed: number;
  /** Operations per case, at most (default 80). */
  maxOps?: number;
  /** An extra property checked after every call (tests plant failures with it). */
  extraCheck?: ExtraCheck;
  /** Called every so often with the cases run so far (and once shrinking starts). */
  onProgress?: (done: number, shrinking: boolean) => void;
  /** How often to call onProgress, in milliseconds (default 3000). */
  progressEvery?: number;
}

export interface MachineFuzzFailure {
  message: string;
  /** The shrunk case. */
  counterexample: FuzzCase<MachineConfig>;
  /** It as a scenario file. */
  scenario: string;
  /** Does replaying `scenario` fail too, at the marked step? */
  reproduced: boolean;
  replayMessage: string | null;
  /** How many cases ran before the first failure, and how many shrinking steps were taken. */
  failedAfter: number;
  shrinks: number;
}

export interface MachineFuzzReport {
  gic: GicVersion;
  seed: number;
  runs: number;
  failure: MachineFuzzFailure | null;
}

function versionName(gic: GicVersion): string {
  return gic === 'v2' ? 'GICv2' : 'GICv3';
}

/** Print a (shrunk) case as a scenario file and check that the file reproduces the failure. */
export function explainCase(
  gic: GicVersion,
  c: FuzzCase<MachineConfig>,
  seed: number,
  extraCheck?: ExtraCheck,
): { scenario: string; message: string; reproduced: boolean; replayMessage: string | null } {
  const result = runCase(gic, c, { record: true, ...(extraCheck && { extraCheck }) });
  const message = result.failure?.message ?? 'the case passed when run again (it depends on something outside the case)';
  // The failing call is the last one recorded (recording stops with the failure).
  const failedAt = result.failure !== null ? result.records.length - 1 : null;
  const m = buildMachine(gic, c.config);
  const its = c.config.its !== null;
  const scenario = scenarioText(
    m,
    {
      gic,
      config: c.config,
      name: `fuzz ${its ? 'its' : gic}, seed ${seed}`,
      comments: [
        `A case the operation fuzzer found on ${versionName(gic)}${its ? ' with an ITS' : ''}, shrunk:`,
        `  ${oneLine(message)}`,
        `Found with: npm run fuzz -- ${its ? '--target its' : `--gic ${gic}`} --seed ${seed}`,
        'Replay it with the fuzzer\'s checks after every step (invariants, no lock',
        'held, lock order, guest accesses never throwing, misuse changing nothing):',
        '  npm run fuzz -- --replay FILE',
      ],
    },
    result.records,
    failedAt,
    result.failure?.message ?? null,
  );
  const replay = replayScenario(scenario, `fuzz-${its ? 'its' : gic}-${seed}.yaml`, extraCheck ?? null);
  let reproduced = false;
  let replayMessage: string | null = null;
  if (!replay.loaded) {
    replayMessage = `the printed scenario does not load: ${replay.errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('; ')}`;
  } else if (replay.failure !== null) {
    reproduced = true;
    replayMessage = `step ${replay.failure.step} (line ${replay.failure.line}): ${replay.failure.message}`;
  } else {
    replayMessage = 'the printed scenario replays without failing';
  }
  return { scenario, message, reproduced, replayMessage };
}

export function fuzzMachine(o: MachineFuzzOptions): MachineFuzzReport {
  const every = o.progressEvery ?? 3000;
  let done = 0;
  let failedAfter = -1;
  let last = Date.now();
  const its = o.its === true;
  if (its && o.gic !== 'v3') throw new Error('the ITS target is GICv3 only');
  const property = fc.property(caseArbitrary(configArbitrary(o.gic, its), o.maxOps ?? 80, its), (c) => {
    done++;
    if (o.onProgress !== undefined && (done & 63) === 0) {
      const now = Date.now();
      if (now - last >= every) {
        last = now;
        o.onProgress(failedAfter < 0 ? done : failedAfter, failedAfter >= 0);
      }
    }
    const r = runCase(o.gic, c, o.extraCheck ? { extraCheck: o.extraCheck } : {});
    if (r.failure !== null && failedAfter < 0) {
      failedAfter = done;
      o.onProgress?.(done, true);
    }
    return r.failure === null;
  });
  const details = fc.check(property, { numRuns: o.runs, seed: o.seed });
  if (!details.failed || details.counterexample === null) {
    return { gic: o.gic, seed: o.seed, runs: details.numRuns, failure: null };
  }
  const [c] = details.counterexample;
  const explained = explainCase(o.gic, c, o.seed, o.extraCheck);
  return {
    gic: o.gic,
    seed: o.seed,
    runs: failedAfter,
    failure: { ...explained, counterexample: c, failedAfter, shrinks: details.numShrinks },
  };
}
