/**
 * The fuzzers as functions, for the test suites (each package's fuzz test
 * runs a few thousand cases; `npm run fuzz` runs millions).
 */
export { buildMachine, configArbitrary, guestOps, type GicVersion, type MachineConfig } from './config.js';
export { caseArbitrary, opArbitrary, type FuzzCase, type Op } from './ops.js';
export { runCase, type CaseResult, type RunOptions } from './execute.js';
export { Recorder, FuzzFailure, type ExtraCheck, type Recorded } from './recorder.js';
export { scenarioText, hostOnlyCalls, type HostOnly } from './scenario.js';
export { replayScenario, type ReplayResult } from './replay.js';
export { fuzzMachine, explainCase, type MachineFuzzOptions, type MachineFuzzReport, type MachineFuzzFailure } from './machine-fuzz.js';
export { fuzzRawAccess, runRawCase, rawCaseArbitrary, type RawCase, type RawFuzzReport } from './raw-access.js';
export { fuzzLoader, checkLoad, checkCli, brokenDocumentArbitrary, brokenDocumentText, randomBytesArbitrary, type LoaderFuzzReport } from './loader-fuzz.js';
