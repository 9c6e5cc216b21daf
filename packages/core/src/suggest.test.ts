import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closestName, editDistance } from './suggest.js';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and a swap of neighbours as one edit each, case-blind', () => {
    expect(editDistance('GICD_ISENABLE1', 'GICD_ISENABLER1')).toBe(1);
    expect(editDistance('wirte', 'write')).toBe(1);
    expect(editDistance('gicd_ctlr', 'GICD_CTLR')).toBe(0);
    expect(editDistance('abc', 'xyz')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('with a bound, gives the distance when within it and bound + 1 when not', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), fc.nat({ max: 6 }), (a, b, max) => {
        const d = editDistance(a, b);
        expect(editDistance(a, b, max)).toBe(d <= max ? d : max + 1);
      }),
    );
  });

  it('with a bound, answers for a megabyte-long word from its length alone', () => {
    expect(editDistance('X'.repeat(1 << 20), 'GICD_CTLR', 3)).toBe(4);
  });
});

describe('closestName', () => {
  it('suggests the nearest candidate within reach, the first of equals, and nothing when all are far', () => {
    expect(closestName('stpes', ['name', 'gic', 'steps'])).toBe('steps');
    expect(closestName('ab', ['ax', 'ay'], 1)).toBe('ax');
    expect(closestName('GICD_NOPE', ['ICC_IAR1_EL1', 'GICR_TYPER'])).toBeUndefined();
  });
});
