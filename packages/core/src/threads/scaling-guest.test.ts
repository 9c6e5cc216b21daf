import { describe, expect, it } from 'vitest';
import { createToy } from '../../test/fixtures/toy-gic.js';
import { toyGuest } from '../../test/fixtures/toy-guest.js';
import { isVgicError } from '../errors.js';
import { LINE_BYTES } from '../vgic.js';
import { ThreadControl } from './control.js';
import { GuestCpu } from './guest-cpu.js';
import { deliveredOf, deliveredWords, scalingGuest } from './scaling-guest.js';

describe('the scaling guest', () => {
  it("counts each delivery in its own vCPU's word, a cache line from the next vCPU's, and raises the SPI again", () => {
    const m = createToy({ vcpus: 2, spis: 32 });
    toyGuest.init(m);
    toyGuest.setEdge(m, 40, true);
    toyGuest.route(m, 40, 1);
    toyGuest.enable(m, 40);
    const delivered = new SharedArrayBuffer(deliveredWords(2) * 4);
    const words = new Int32Array(delivered);
    const cpu = new GuestCpu(m, 1, ThreadControl.create(2));
    const guest = scalingGuest(cpu, { delivered });
    m.inject(40, 1);
    m.enter(1);
    expect(guest.take(cpu)).toBe(true);
    expect(guest.take(cpu)).toBe(true);
    expect([deliveredOf(words, 0), deliveredOf(words, 1)]).toEqual([0, 2]);
    expect(words.indexOf(2) * 4).toBeGreaterThanOrEqual(LINE_BYTES);
    // Each delivery raised the SPI again: it is still pending.
    expect(m.irq(40, 1).pending).toBe(true);
  });

  it('refuses to start without the shared words to count in', () => {
    const m = createToy({ vcpus: 2, spis: 32 });
    const cpu = new GuestCpu(m, 0, ThreadControl.create(2));
    for (const data of [undefined, {}, { delivered: new ArrayBuffer(deliveredWords(2) * 4) }, { delivered: new SharedArrayBuffer(4) }]) {
      let error: unknown;
      try {
        scalingGuest(cpu, data);
      } catch (e) {
        error = e;
      }
      expect(isVgicError(error, 'INVALID_ARGUMENT'), JSON.stringify(data)).toBe(true);
    }
  });
});
