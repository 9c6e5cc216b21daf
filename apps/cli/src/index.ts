/**
 * @vgic/cli — the `vgic` command, and the pieces it is made of for programs
 * that want them: the scenario loader (YAML/JSON with source positions and
 * schema checks) and the machine factories scenario files name.
 *
 * @packageDocumentation
 */
export { main, version, HELP } from './main.js';
export { loadScenario, type LoadError, type LoadOptions, type LoadResult } from './load.js';
export { BACKENDS } from './backends.js';
export { HEADER_SCHEMA, STEP_SCHEMAS, ERROR_CODES } from './schema.js';
export { wantsColour, formatEvent, formatStep, paint, type Io, type Paint } from './report.js';
