/**
 * The run command's loader (loadStreamedScenario): the whole file checked as
 * loadScenario checks it, but the steps kept as the text they are written in
 * and built one at a time when asked for — nothing of a step is held between
 * two asks, and each one built is the step loadScenario builds.
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../src/backends.js';
import { DetachedList, readWithLibrary } from '../src/load/document.js';
import { loadScenario } from '../src/load/index.js';
import { loadStreamedScenario } from '../src/load/load.js';
import { quickRead, QuickStop } from '../src/load/quick-yaml.js';
import { repositoryFiles } from './repository-files.js';

const { longScenario } = (await import(new URL('../../../tools/long-scenario.ts', import.meta.url).href)) as { longScenario(steps: number): Iterable<string> };

function files(): [string, string][] {
  return [['long-2000.yaml', [...longScenario(2000)].join('')], ...repositoryFiles()];
}

function steps(text: string): unknown {
  const read = quickRead(text, 64, 'steps');
  if (read instanceof QuickStop) throw new Error(read.reason);
  return (read.value as Record<string, unknown>)['steps'];
}

describe('loadStreamedScenario', () => {
  it('builds, one at a time, the very steps loadScenario builds, of every file the repository holds', () => {
    for (const [file, text] of files()) {
      const eager = loadScenario(text, file, { backends: BACKENDS });
      const streamed = loadStreamedScenario(text, file, { backends: BACKENDS, streamFrom: 0 });
      if (!eager.ok || !streamed.ok) throw new Error(`${file} does not load`);
      const { steps: built, ...header } = eager.scenario;
      const { steps: source, ...same } = streamed.scenario;
      expect(same, file).toEqual(header);
      expect(source.length, file).toBe(built.length);
      for (let k = 0; k < built.length; k++) expect(source.at(k), `${file} step ${k + 1}`).toEqual(built[k]);
      expect(source.at(built.length)).toBeUndefined();
      expect(source.at(-1)).toBeUndefined();
    }
  });

  it('keeps no step: the steps are not an array, and each ask builds the step anew', () => {
    const text = [...longScenario(2000)].join('');
    const r = loadStreamedScenario(text, 'long.yaml', { backends: BACKENDS, streamFrom: 0 });
    if (!r.ok) throw new Error('long.yaml does not load');
    expect(Array.isArray(r.scenario.steps)).toBe(false);
    const first = r.scenario.steps.at(1500);
    const again = r.scenario.steps.at(1500);
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
    // A text shorter than streamFrom keeps its steps built, as loadScenario does.
    const small = loadStreamedScenario(text, 'long.yaml', { backends: BACKENDS, streamFrom: text.length + 1 });
    expect(small.ok && Array.isArray(small.scenario.steps)).toBe(true);
  });

  it('reports what loadScenario reports of a file that is not valid', () => {
    const text = `${[...longScenario(40)].join('')}  - { read: GICD_TYPR }\n  - { write: ICC_PMR_EL1, value: 0x1ff }\n  - inject: 40\n    vcpu: 9\n`;
    const eager = loadScenario(text, 'bad.yaml', { backends: BACKENDS });
    const streamed = loadStreamedScenario(text, 'bad.yaml', { backends: BACKENDS, streamFrom: 0 });
    expect(eager.ok).toBe(false);
    expect(streamed).toEqual(eager);
  });

  it('keeps the steps built of a file only the YAML library reads', () => {
    const text = 'gic: v3\nvcpus: 1\nsteps:\n  - &w { write: GICD_CTLR, value: 0x12 }\n  - *w\n';
    const r = loadStreamedScenario(text, 'anchors.yaml', { backends: BACKENDS, streamFrom: 0 });
    if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
    expect(Array.isArray(r.scenario.steps)).toBe(true);
    expect(r.scenario.steps.at(1)).toMatchObject({ action: 'write', register: 'GICD_CTLR', value: 0x12n, pos: { line: 5, col: 5 } });
  });
});

describe('the quick reader, asked not to keep the steps list', () => {
  it('stands a DetachedList for the root map’s steps, block or flow, wherever the key is, with the items the library reads', () => {
    const texts = [
      'steps:\n  - read: GICD_TYPER\n  - { write: GICD_CTLR, value: 0x2 }\ngic: v3\nvcpus: 1\n',
      '{"gic": "v3", "steps": [{"read": "GICD_TYPER"}, {"write": "GICD_CTLR", "value": 2}], "vcpus": 1}\n',
      'gic: v3\nsteps: [ { read: GICD_TYPER }, { write: GICD_CTLR, value: 0x2 } ]\n',
    ];
    for (const text of texts) {
      const list = steps(text);
      expect(list).toBeInstanceOf(DetachedList);
      const d = list as DetachedList;
      const lib = readWithLibrary(text);
      if (!lib.ok) throw new Error(lib.message);
      const want = (lib.value as { steps: unknown[] }).steps;
      expect(d.length).toBe(want.length);
      expect(Array.from({ length: d.length }, (_, k) => d.item(k))).toEqual(want);
    }
  });

  it('keeps every other list, and a steps that is not the root map’s or not a list', () => {
    expect(steps('steps: 3\n')).toBe(3);
    expect(steps('steps: { a: [1, 2] }\n')).toEqual({ a: [1, 2] });
    expect(steps('steps: []\n')).toBeInstanceOf(DetachedList);
    const read = quickRead('memory: [ { base: 0x1000, size: 4096 } ]\nsteps:\n  - check: { steps: [1, 2] }\n', 64, 'steps');
    if (read instanceof QuickStop) throw new Error(read.reason);
    const value = read.value as { memory: unknown; steps: DetachedList };
    expect(value.memory).toEqual([{ base: 0x1000, size: 4096 }]);
    expect(value.steps.item(0)).toEqual({ check: { steps: [1, 2] } });
    expect(read.locations.itemPos(['steps'], 0)).toEqual({ line: 3, col: 5 });
    expect(read.locations.offsetOf(['steps', 0, 'check', 'steps', 1])).toBe('memory: [ { base: 0x1000, size: 4096 } ]\nsteps:\n  - check: { steps: [1, '.length);
  });
});
