import { describe, expect, it } from 'vitest';
import { PHASE_DRAIN, PHASE_QUIESCE, PHASE_RUN, PHASE_STOP, ThreadControl } from './control.js';

describe('the control block', () => {
  it('only moves forward through the phases', () => {
    const c = ThreadControl.create(2);
    expect(c.phase).toBe(PHASE_RUN);
    c.advance(PHASE_DRAIN);
    c.advance(PHASE_QUIESCE);
    expect(c.phase).toBe(PHASE_DRAIN);
    c.advance(PHASE_STOP);
    expect(c.phase).toBe(PHASE_STOP);
  });

  it('keeps the caller words apart from the idle flags, and is the same block when opened again', () => {
    const c = ThreadControl.create(3, 4);
    c.user.fill(7);
    for (let k = 0; k < 3; k++) expect(c.isIdle(k)).toBe(false);
    const d = ThreadControl.open(c.buffer, 3);
    d.setIdle(2, true);
    d.bumpActivity();
    expect(c.isIdle(2)).toBe(true);
    expect(c.activity).toBe(1);
    expect(Array.from(d.user)).toEqual([7, 7, 7, 7]);
  });
});
