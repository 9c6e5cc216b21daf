/**
 * @vgic/cli/load — the scenario loader on its own, for programs and pages
 * that read scenario files without the command line: text (or UTF-8 bytes)
 * and a file name in; a validated scenario, or every error at FILE:LINE:COL,
 * out. Imports no Node built-in, so it bundles for a browser.
 *
 *   import { BACKENDS, loadScenario } from '@vgic/cli/load';
 *   const r = loadScenario(text, 'my.yaml', { backends: BACKENDS });
 */
export { loadScenario, type LoadOptions, type LoadResult } from './load.js';
export { DEFAULT_LIMITS, type LoadLimits } from './limits.js';
export type { LoadError, LimitName } from './reporter.js';
export { HEADER_SCHEMA, STEP_SCHEMAS, ERROR_CODES } from './schema.js';
export { BACKENDS } from '../backends.js';
