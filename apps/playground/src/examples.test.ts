import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLES, exampleById, exampleOfText, firstExampleFor } from './examples.js';

describe('the bundled examples', () => {
  it("are the repository's examples/ files, in name order, each with its title and GIC", () => {
    const files = readdirSync(join(import.meta.dirname, '../../../examples')).filter((f) => f.endsWith('.yaml')).sort();
    expect(EXAMPLES.map((e) => `${e.id}.yaml`)).toEqual(files);
    for (const e of EXAMPLES) {
      expect(e.intro.title, e.id).not.toBe('');
      expect(e.intro.paragraphs.join(' '), e.id).toMatch(/What it teaches/);
      expect(['v2', 'v3'], e.id).toContain(e.gic);
    }
  });

  it('starts each GIC at its first interrupt, and knows an example by its text', () => {
    expect(firstExampleFor('v2')?.id).toBe('01-first-interrupt-v2');
    expect(firstExampleFor('v3')?.id).toBe('02-first-interrupt-v3');
    const e = exampleById('11-migration')!;
    expect(exampleOfText(e.text)).toBe(e);
    expect(exampleOfText(`${e.text}\n`)).toBeUndefined();
  });
});
