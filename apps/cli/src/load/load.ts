/**
 * Loading a scenario from its text (the format: the @vgic/cli README): YAML
 * or JSON, checked completely before anything runs, every complaint at the
 * file, line and column of the key or value at fault:
 *
 *   bad.yaml:7:10: step 4: unknown register GICD_ISENABLE1 on GICv3 — did you mean GICD_ISENABLER1?
 *
 * In order: the bytes are UTF-8 text within the size limit; the text reads
 * as a document (document.ts); the header matches its schema, its guest RAM
 * is laid out (lpi-checks.ts) and, when they hold, the machine it describes
 * is built (nothing runs); then each step in
 * one pass — its one action, its schema, its values, and what the machine
 * says of its registers, vCPUs and widths — so that every error of the file
 * is reported at once, up to `maxErrors`.
 *
 * `loadScenario` builds the steps. `loadStreamedScenario`, for a long
 * file, has the quick reader not keep the steps list (a DetachedList reads
 * each item again when asked): each step's value is read, checked and let go
 * in turn, so that the file is never held as a tree, and what is kept is the
 * text and where each step starts, each step built again as the run reaches
 * it (a `StepSource`).
 *
 * Imports no Node built-in: it runs in a browser as well.
 */
import { STEP_ACTIONS, type Scenario, type ScenarioBackend, type SourcePos, type Step, type StepAction, type StepSource, type StreamedScenario } from '@vgic/core';
import type { ValidateFunction } from 'ajv';
import { DetachedList, readDocument } from './document.js';
import { DEFAULT_LIMITS, type LoadLimits } from './limits.js';
import { checkLpiHeader, LpiChecks, lpiShape } from './lpi-checks.js';
import { checkMpidr, MachineChecks } from './machine-checks.js';
import { Reporter, type LoadError } from './reporter.js';
import { ACTION_VALUE, HEADER_SCHEMA, STEP_SCHEMAS } from './schema.js';
import { compile, forSchema, reportSchemaErrors } from './schema-errors.js';
import { buildStep, num, stepAction, u64, type Plain } from './steps.js';
import { decode, LineIndex } from './text.js';
import { bytesText, describeValue } from './words.js';

export type LoadResult = { ok: true; scenario: Scenario } | { ok: false; errors: LoadError[] };

export type StreamedLoadResult = { ok: true; scenario: StreamedScenario } | { ok: false; errors: LoadError[] };

export interface LoadOptions {
  /** Machine factories by `gic:` name; the machine is built (not run) to check registers and limits. */
  backends: Readonly<Record<string, ScenarioBackend>>;
  /** Bounds on what a file may ask for; each defaults to DEFAULT_LIMITS's. */
  limits?: Partial<LoadLimits>;
}

// Compiled when first needed: compiling all ten costs a start-up of the command as much as reading a long file.
let validateHeader: ValidateFunction | null = null;
const validateStep: Partial<Record<StepAction, ValidateFunction>> = {};

function refused(r: Reporter): { ok: false; errors: LoadError[] } {
  return { ok: false, errors: r.errors() };
}

/** The steps of a list: the YAML library's array, or the quick reader's DetachedList. */
interface StepItems {
  readonly length: number;
  item(index: number): unknown;
}

const STEPS_PATH = ['steps'] as const;

/**
 * A checked file's steps, each built from the file's text again when the
 * run asks for it: what is kept is the text and where each step starts.
 */
class TextSteps implements StepSource {
  constructor(
    private readonly items: DetachedList,
    /** Each step's action, as its index in STEP_ACTIONS (found once, when the file was checked). */
    private readonly actions: Uint8Array,
    // Never told anything: every step was checked when the file was loaded.
    private readonly r: Reporter,
  ) {}

  get length(): number {
    return this.items.length;
  }

  at(index: number): Step | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.items.length) return undefined;
    return buildStep(this.r, ['steps', index], STEP_ACTIONS[this.actions[index]!]!, this.items.item(index) as Plain, this.items.pos(index));
  }
}

/**
 * Load a scenario from its text (or its bytes, which must be UTF-8). Returns
 * the scenario, or the errors found, each with its position; nothing is run
 * either way.
 */
export function loadScenario(source: string | Uint8Array, file: string, options: LoadOptions): LoadResult {
  return load(source, file, options, false) as LoadResult;
}

/**
 * Text below which `loadStreamedScenario` builds the steps as `loadScenario`
 * does: reading a step three times (checked, then built as the run reaches
 * it) costs more time than holding a small file's steps costs memory.
 */
export const STREAM_FROM: number = 4 * 1024 * 1024;

/**
 * Load a scenario as `loadScenario` does — the whole file checked, the same
 * errors — but, for a text of `streamFrom` characters or more (default
 * STREAM_FROM), keep its steps as the text they are written in: the result's
 * `steps` builds each one when asked for it (a file the full YAML library
 * read, at most `fullYamlSize`, keeps its steps built). What a run of a long
 * file holds is then its text and 12 bytes a step.
 */
export function loadStreamedScenario(source: string | Uint8Array, file: string, options: LoadOptions & { streamFrom?: number }): StreamedLoadResult {
  const size = typeof source === 'string' ? source.length : source.byteLength;
  return load(source, file, options, size >= (options.streamFrom ?? STREAM_FROM));
}

function load(source: string | Uint8Array, file: string, options: LoadOptions, stream: boolean): StreamedLoadResult {
  const limits: LoadLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const size = typeof source === 'string' ? source.length : source.byteLength;
  if (size > limits.maxFileSize) {
    const error: LoadError = { file, line: 1, col: 1, message: `this file is ${bytesText(size)}; scenario files are read up to ${bytesText(limits.maxFileSize)}`, limit: 'maxFileSize' };
    return { ok: false, errors: [error] };
  }
  const decoded = decode(source);
  const lines = new LineIndex(decoded.text);
  const r = new Reporter(file, lines, limits.maxErrors);
  if ('message' in decoded) {
    r.failAt(decoded.offset, decoded.message);
    return refused(r);
  }
  const doc = readDocument(decoded.text, limits, stream ? 'steps' : undefined);
  if (!doc.ok) {
    r.failAt(doc.offset, doc.message, doc.limit);
    return refused(r);
  }
  r.locate(doc.locations);
  const js = doc.value;
  if (js === null || typeof js !== 'object' || Array.isArray(js)) {
    r.fail([], `a scenario is a map with gic, vcpus and steps; this file holds ${describeValue(js)}`);
    return refused(r);
  }
  const header = js as Plain;
  const listed = header['steps'];
  const rawSteps: StepItems | null = listed instanceof DetachedList ? listed : Array.isArray(listed) ? { length: listed.length, item: (k) => listed[k] } : null;
  const streamed = stream && listed instanceof DetachedList;
  const actions = streamed ? new Uint8Array(listed.length) : null;

  // The header, its steps aside (each is checked on its own below).
  const headerOnly = forSchema(rawSteps === null ? header : { ...header, steps: [] });
  validateHeader ??= compile(HEADER_SCHEMA);
  const headerOk = validateHeader(headerOnly);
  if (!headerOk) reportSchemaErrors(r, validateHeader.errors ?? [], header, [], 'a scenario', HEADER_SCHEMA);
  const shape = {
    file,
    gic: String(header['gic']),
    vcpus: num(header['vcpus']),
    ...(header['name'] !== undefined && { name: String(header['name']) }),
    ...(header['spis'] !== undefined && { spis: num(header['spis']) }),
    ...(header['lrs'] !== undefined && { lrs: num(header['lrs']) }),
    ...(header['mpidr'] !== undefined && headerOk && { mpidr: (header['mpidr'] as unknown[]).map((x, k) => u64(r, ['mpidr'], k, x)) }),
    ...(headerOk && lpiShape(r, header)),
  };
  const memory = headerOk ? checkLpiHeader(r, header, limits) : null;
  if (memory !== null && memory.length > 0) Object.assign(shape, { memory });
  const steps: Step[] = [];
  // The machine would refuse a bad mpidr list or bad memory again, in other words.
  const machine = headerOk && memory !== null && checkMpidr(r, shape) ? MachineChecks.create(r, { ...shape, steps }, options.backends, limits.snapshotBudget) : null;
  const lpi = memory !== null ? new LpiChecks(r, memory, 'its' in shape, options.backends[shape.gic]) : null;

  for (let index = 0; rawSteps !== null && index < rawSteps.length && !r.full; index++) {
    const raw = rawSteps.item(index);
    const path = ['steps', index] as const;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      r.fail(path, `step ${index + 1} must be a map with one action (like write: GICD_CTLR), not ${describeValue(raw)}`);
      continue;
    }
    const stepJs = raw as Plain;
    const action = stepAction(r, path, index, stepJs);
    if (action === null) continue;
    const validate = (validateStep[action] ??= compile(STEP_SCHEMAS[action]));
    if (!validate(forSchema(stepJs))) {
      const errors = validate.errors ?? [];
      // The action's own value gets a sentence of its own: what the action takes.
      const own = errors.filter((e) => e.instancePath === `/${action}` && (e.keyword === 'type' || e.keyword === 'maxLength'));
      for (const e of own) {
        const v = stepJs[action];
        const why = e.keyword === 'type' ? `not ${describeValue(v)}` : `of at most ${String(e.params['limit'])} characters; this one has ${(v as string).length}`;
        r.fail([...path, action], `step ${index + 1}: ${action} takes ${ACTION_VALUE[action]}, ${why}`);
      }
      reportSchemaErrors(r, errors.filter((e) => !own.includes(e)), stepJs, path, `${/^[aeiou]/.test(action) ? 'an' : 'a'} ${action} step`, STEP_SCHEMAS[action]);
      continue;
    }
    const pos: SourcePos = doc.locations.itemPos(STEPS_PATH, index) ?? lines.pos(r.offsetOf(path));
    const step = buildStep(r, path, action, stepJs, pos);
    machine?.step(step, path);
    lpi?.step(step, path);
    if (actions !== null) actions[index] = STEP_ACTIONS.indexOf(action);
    else steps.push(step);
  }
  if (r.count > 0 || r.full) return refused(r);
  const built = actions !== null ? new TextSteps(listed as DetachedList, actions, new Reporter(file, lines, 0)) : steps;
  return { ok: true, scenario: { ...shape, steps: built } };
}
