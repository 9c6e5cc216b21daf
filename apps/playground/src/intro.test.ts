import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openingComment } from './intro.js';

describe('openingComment', () => {
  it("reads an example's title and what it teaches as paragraphs", () => {
    const text = readFileSync(join(import.meta.dirname, '../../../examples/02-first-interrupt-v3.yaml'), 'utf8');
    const intro = openingComment(text);
    expect(intro.title).toBe('First interrupt on GICv3');
    expect(intro.paragraphs).toHaveLength(2);
    expect(intro.paragraphs[0]).toMatch(/^What it teaches: the same life as 01 on a GICv3, where the guest speaks to its CPU interface/);
    expect(intro.paragraphs[0]).toContain('(ICC_*_EL1, an MRS/MSR each) instead of memory-mapped');
    expect(intro.paragraphs[1]).toMatch(/as the hardware does\.$/);
  });

  it('stops at the first key and takes nothing from comments further down', () => {
    expect(openingComment('\n# Title\n#\n# One\n# two.\ngic: v3 # not this\n# nor this\n')).toEqual({ title: 'Title', paragraphs: ['One two.'] });
    expect(openingComment('gic: v2\n# later\n')).toEqual({ title: '', paragraphs: [] });
  });
});
