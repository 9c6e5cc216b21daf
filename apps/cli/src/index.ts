/**
 * @vgic/cli — the `vgic` command, and the pieces it is made of for programs
 * that want them: the scenario loader (YAML/JSON with source positions and
 * schema checks) and the machine factories scenario files name.
 *
 * @packageDocumentation
 */
export { main, version, HELP } from './main.js';
export {
  loadScenario,
  DEFAULT_LIMITS,
  HEADER_SCHEMA,
  STEP_SCHEMAS,
  ERROR_CODES,
  type LoadError,
  type LoadLimits,
  type LimitName,
  type LoadOptions,
  type LoadResult,
} from './load/index.js';
export { BACKENDS } from './backends.js';
export { wantsColour, formatEvent, formatStep, paint, type Io, type Paint } from './report.js';
