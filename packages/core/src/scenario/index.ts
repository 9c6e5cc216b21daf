// The scenario module's public API: the parsed form of a scenario file
// (the format: apps/cli/README.md) and the runner that drives a machine through it.
export {
  STEP_ACTIONS,
  type Scenario,
  type StepSource,
  type StreamedScenario,
  type Step,
  type StepAction,
  type StepCommon,
  type SourcePos,
  type WriteStep,
  type ReadStep,
  type InjectStep,
  type MapStep,
  type RunStep,
  type ExitStep,
  type CheckStep,
  type SnapshotStep,
  type RestoreStep,
  type PokeStep,
  type PeekStep,
  type ItsStep,
  type MsiStep,
  type MemoryRegionSpec,
  type CheckSpec,
} from './types.js';
export { CHECK_FIELDS, evaluateCheck, describeCheck, type CheckField, type CheckFieldKind, type CheckOutcome } from './checks.js';
export { describeStep } from './describe.js';
export { stateView, diffViews, diffIrq, diffVcpu, irqName, lrText, hex, ChangeTracker, type StateView } from './view.js';
export { ScenarioRam, type ScenarioRamRegion } from './ram.js';
export {
  runScenario,
  createScenarioMachine,
  DEFAULT_SNAPSHOT_BUDGET,
  type RunScenarioOptions,
  type ScenarioBackend,
  type CommandField,
  type ScenarioMachineOptions,
  type ScenarioResult,
  type StepRecord,
} from './run.js';
