/**
 * A step done by hand becomes a step of the scenario's text: written as YAML
 * at the indentation of the steps around it, right after the step shown
 * (after its last line, before the comments and blank lines that lead to the
 * next), so the file stays the visitor's file with one step more.
 */
import type { Scenario } from '@vgic/core';

/** A step as key/value pairs in the order they are written; the first is the action. */
export type StepFields = ReadonlyArray<readonly [string, string | number]>;

function indentOf(line: string): number {
  return /^ */.exec(line)![0].length;
}

function isFiller(line: string): boolean {
  return /^\s*(#.*)?$/.test(line);
}

/**
 * The text with `fields` inserted as a step after step `after` (0: before
 * the first), or a sentence saying why it cannot be: the scenario must be
 * YAML with its steps written as a block list (`- write: ...`).
 */
export function insertStep(text: string, scenario: Scenario, after: number, fields: StepFields): { text: string } | { error: string } {
  const steps = scenario.steps;
  const anchor = steps[Math.max(0, Math.min(after, steps.length) - 1)] ?? steps[0];
  if (anchor?.pos === undefined) return { error: 'a step can be added only after a step of the file: this scenario has none' };
  const lines = text.split('\n');
  const dashCol = anchor.pos.col - 3;
  const anchorLine = lines[anchor.pos.line - 1] ?? '';
  if (dashCol < 0 || anchorLine.slice(dashCol, dashCol + 2) !== '- ') {
    return { error: 'steps can be added to a YAML scenario whose steps are a list of "- " items; this file writes them otherwise' };
  }
  let at: number; // the 0-based line the new step goes before
  if (after <= 0) {
    at = anchor.pos.line - 1;
    while (at > 0 && isFiller(lines[at - 1]!) && lines[at - 1]!.trim() !== '') at--;
  } else {
    // The step ends at its last line indented deeper than its dash.
    let last = anchor.pos.line - 1;
    for (let i = last + 1; i < lines.length; i++) {
      const line = lines[i]!;
      if (isFiller(line)) continue;
      if (indentOf(line) <= dashCol) break;
      last = i;
    }
    at = last + 1;
  }
  const pad = ' '.repeat(dashCol);
  const written = fields.map(([k, v], i) => `${pad}${i === 0 ? '- ' : '  '}${k}: ${v}`);
  const out = [...lines.slice(0, at), ...written, ...lines.slice(at)];
  return { text: out.join('\n') };
}
