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
 * Imports no Node built-in: it runs in a browser as well.
 */
import { type Scenario, type ScenarioBackend, type SourcePos, type Step, type StepAction } from '@vgic/core';
import type { ValidateFunction } from 'ajv';
import { readDocument } from './document.js';
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

export interface LoadOptions {
  /** Machine factories by `gic:` name; the machine is built (not run) to check registers and limits. */
  backends: Readonly<Record<string, ScenarioBackend>>;
  /** Bounds on what a file may ask for; each defaults to DEFAULT_LIMITS's. */
  limits?: Partial<LoadLimits>;
}

// Compiled when first needed: compiling all ten costs a start-up of the command as much as reading a long file.
let validateHeader: ValidateFunction | null = null;
const validateStep: Partial<Record<StepAction, ValidateFunction>> = {};

function refused(r: Reporter): LoadResult {
  return { ok: false, errors: r.errors() };
}

/**
 * Load a scenario from its text (or its bytes, which must be UTF-8). Returns
 * the scenario, or the errors found, each with its position; nothing is run
 * either way.
 */
export function loadScenario(source: string | Uint8Array, file: string, options: LoadOptions): LoadResult {
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
  const doc = readDocument(decoded.text, limits);
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
  const rawSteps = Array.isArray(header['steps']) ? (header['steps'] as unknown[]) : null;

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

  const stepsPath = ['steps'] as const;
  for (let index = 0; rawSteps !== null && index < rawSteps.length && !r.full; index++) {
    const raw = rawSteps[index];
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
    const pos: SourcePos = doc.locations.itemPos(stepsPath, index) ?? lines.pos(r.offsetOf(path));
    const step = buildStep(r, path, action, stepJs, pos);
    machine?.step(step, path);
    lpi?.step(step, path);
    steps.push(step);
  }
  if (r.count > 0 || r.full) return refused(r);
  return { ok: true, scenario: { ...shape, steps } };
}
