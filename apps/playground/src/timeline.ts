/**
 * A scenario run once, kept step by step, so the page can go forward, back
 * and jump to any step without running anything again.
 *
 * After each step the machine's whole state buffer is copied (a few
 * kilobytes for a small machine): the GIC's state lives in that one buffer,
 * so a copy is the machine as that step left it. Showing a step writes its
 * copy into a second machine of the same shape and reads the view from
 * there; the run's own machine is never touched again. The copies are kept
 * within a byte budget, which bounds how many steps a long scenario shows.
 */
import {
  createScenarioMachine,
  runScenario,
  stateView,
  type Machine,
  type Scenario,
  type ScenarioBackend,
  type StateView,
  type StepRecord,
} from '@vgic/core';

/** The most bytes the per-step copies of the state may take, by default. */
export const DEFAULT_FRAME_BUDGET: number = 64 * 1024 * 1024;

export interface Timeline {
  scenario: Scenario;
  /** `records[i]` is step i + 1's record: action, value read, check, changes, trace events. */
  records: readonly StepRecord[];
  /** How many steps the timeline holds: the scenario's, or fewer when the budget ran out. */
  length: number;
  /** The scenario has more steps than the budget let the timeline keep. */
  truncated: boolean;
  passed: number;
  failed: number;
  /** The machine after step `i` (0: as reset), as a reader sees it. */
  view(i: number): StateView;
  /** The machine the views are read from (of the scenario's shape; its state is the last step viewed). */
  machine: Machine;
}

export function buildTimeline(
  scenario: Scenario,
  backends: Readonly<Record<string, ScenarioBackend>>,
  budget: number = DEFAULT_FRAME_BUDGET,
): Timeline {
  const viewer: Machine = createScenarioMachine(scenario, backends);
  const state = new Uint8Array(viewer.vgic.buffer);
  const until = Math.max(1, Math.floor(budget / state.byteLength)) - 1;
  const frames: Uint8Array[] = [state.slice()];
  const records: StepRecord[] = [];
  const result = runScenario(scenario, {
    backends,
    trace: true,
    keepSteps: false,
    until,
    onStep: (record, m) => {
      records.push(record);
      frames.push(new Uint8Array(m.vgic.buffer).slice());
    },
  });
  let shown = -1;
  let shownView: StateView | null = null;
  return {
    scenario,
    records,
    length: records.length,
    truncated: records.length < scenario.steps.length,
    passed: result.passed,
    failed: result.failed,
    machine: viewer,
    view(i: number): StateView {
      const k = Math.max(0, Math.min(records.length, i));
      if (k !== shown || shownView === null) {
        state.set(frames[k]!);
        shownView = stateView(viewer);
        shown = k;
      }
      return shownView;
    },
  };
}
