/**
 * The scenario on the page: its text, what the loader made of it, and the
 * timeline of its run. Loading and running happen here, once per text;
 * stepping only moves through the timeline.
 */
import type { LoadError } from '@vgic/cli/load';
import { BACKENDS, loadScenario } from '@vgic/cli/load';
import type { GicBackend, Scenario } from '@vgic/core';
import { buildTimeline, type Timeline } from './timeline.js';

export interface Session {
  text: string;
  /** The name messages and downloads use: `02-first-interrupt-v3.yaml`. */
  file: string;
  /** The loader's errors (empty when the file loaded). */
  errors: readonly LoadError[];
  scenario: Scenario | null;
  timeline: Timeline | null;
  /** The registers the scenario's GIC has, as a step names them (an array's first element for an array). */
  registers: readonly string[];
}

export function openSession(text: string, file: string): Session {
  const r = loadScenario(text, file, { backends: BACKENDS });
  if (!r.ok) return { text, file, errors: r.errors, scenario: null, timeline: null, registers: [] };
  const timeline = buildTimeline(r.scenario, BACKENDS);
  return { text, file, errors: [], scenario: r.scenario, timeline, registers: registerNames(timeline.machine.backend) };
}

function registerNames(backend: GicBackend): string[] {
  const names = backend.frames.flatMap((f) => f.registers.map((reg) => ((reg.count ?? 1) > 1 ? `${reg.name}${reg.firstIndex ?? 0}` : reg.name)));
  return [...names, ...backend.sysregs.map((reg) => reg.name)].sort();
}

/** The loader's message for a file: `FILE:LINE:COL: sentence`. */
export function errorText(e: LoadError): string {
  return `${e.file}:${e.line}:${e.col}: ${e.message}`;
}
