import { describe, expect, it } from 'vitest';
import { createToy } from '../test/fixtures/toy-gic.js';
import { toyGuest } from '../test/fixtures/toy-guest.js';
import { isVgicError } from './errors.js';
import type { Machine } from './machine.js';

function toy(): Machine {
  const m = createToy({ vcpus: 2, spis: 64, lrs: 4, lockCheck: true });
  toyGuest.init(m);
  return m;
}

function spi(m: Machine, intid: number, to: number, edge = true): void {
  toyGuest.setPriority(m, intid, 0x80);
  toyGuest.setEdge(m, intid, edge);
  toyGuest.route(m, intid, to);
  toyGuest.enable(m, intid);
}

type Subscribe = (m: Machine, listener: (...args: number[]) => void) => () => void;

/**
 * Each subscription, with something that makes the machine deliver it once
 * (after the machine was set up, before the first delivery), and what the
 * listener then gets.
 */
const SUBSCRIPTIONS: {
  name: string;
  subscribe: Subscribe;
  setup: (m: Machine) => void;
  fire: (m: Machine) => void;
  args: readonly unknown[];
}[] = [
  {
    name: 'onKick',
    subscribe: (m, l) => m.onKick(l),
    setup: (m) => spi(m, 40, 1),
    fire: (m) => {
      m.inject(40, 1);
      m.inject(40, 0);
    },
    args: [1],
  },
  {
    name: 'onLine',
    subscribe: (m, l) => m.onLine(l as never),
    setup: (m) => {
      spi(m, 40, 1);
      m.inject(40, 1);
    },
    fire: (m) => m.enter(1),
    args: [1, true, false],
  },
  {
    name: 'onTrace',
    subscribe: (m, l) => m.onTrace((e) => e.type === 'inject' && l(e.intid)),
    setup: (m) => spi(m, 40, 1),
    fire: (m) => m.inject(40, 1),
    args: [40],
  },
  {
    name: 'onEoiNotify',
    subscribe: (m, l) => m.onEoiNotify(l),
    setup: (m) => {
      spi(m, 41, 1, false);
      m.inject(41, 1);
    },
    fire: (m) => {
      const intid = toyGuest.ack(m, 1);
      toyGuest.eoi(m, 1, intid);
      m.exit(1);
    },
    args: [41, 1],
  },
  {
    name: 'onHostDeactivate',
    subscribe: (m, l) => m.onHostDeactivate(l),
    setup: (m) => {
      spi(m, 40, 1);
      m.mapHw(40, 60);
      m.inject(40, 1);
    },
    fire: (m) => toyGuest.eoi(m, 1, toyGuest.ack(m, 1)),
    args: [60, 40, 1],
  },
  {
    name: 'onHostActivate',
    subscribe: (m, l) => m.onHostActivate(l),
    setup: (m) => {
      spi(m, 40, 1);
      m.mapHw(40, 60);
    },
    fire: (m) => toyGuest.setActive(m, 40, 0),
    args: [60, 40, 0],
  },
  {
    name: 'onHostClearPending',
    subscribe: (m, l) => m.onHostClearPending(l),
    setup: (m) => {
      spi(m, 40, 1);
      m.mapHw(40, 60);
      m.inject(40, 1);
    },
    fire: (m) => toyGuest.clearPending(m, 40, 0),
    args: [60, 40, 0],
  },
];

describe('Machine: every subscription takes a function and returns one that unsubscribes', () => {
  for (const s of SUBSCRIPTIONS) {
    it(`${s.name}: two subscribers both get the event; one that unsubscribes gets no more`, () => {
      const m = toy();
      s.setup(m);
      const a: unknown[][] = [];
      const b: unknown[][] = [];
      const stopA = s.subscribe(m, (...args) => a.push(args.slice(0, s.args.length)));
      const stopB = s.subscribe(m, (...args) => b.push(args.slice(0, s.args.length)));
      s.fire(m);
      expect(a).toEqual([s.args]);
      expect(b).toEqual([s.args]);

      // A fresh machine state for the second delivery, with only b listening.
      stopA();
      stopA(); // twice does nothing (and does not take b's subscription with it)
      const m2 = toy();
      s.setup(m2);
      const c: unknown[][] = [];
      s.subscribe(m2, (...args) => c.push(args.slice(0, s.args.length)));
      s.fire(m2);
      expect(c).toEqual([s.args]);
      s.fire(m);
      expect(a).toHaveLength(1);
      expect(b.length).toBeGreaterThanOrEqual(1);
      stopB();
      const seen = b.length;
      s.fire(m);
      expect(b).toHaveLength(seen);
      expect(m.checkInvariants()).toEqual([]);
    });
  }

  it('delivers to the same function subscribed twice twice, and one unsubscribe removes one of them', () => {
    const m = toy();
    spi(m, 40, 1);
    const kicks: number[] = [];
    const f = (k: number): void => void kicks.push(k);
    const stop1 = m.onKick(f);
    m.onKick(f);
    m.inject(40, 1);
    expect(kicks).toEqual([1, 1]);
    stop1();
    m.inject(40, 0);
    m.inject(40, 1);
    expect(kicks).toEqual([1, 1, 1]);
  });

  it('a subscriber that throws does not keep the others from the event; the host call rethrows its error after the work is done', () => {
    const m = toy();
    spi(m, 40, 1);
    const seen: number[] = [];
    const boom = new Error('listener');
    m.onKick(() => {
      throw boom;
    });
    m.onKick((k) => seen.push(k));
    expect(() => m.inject(40, 1)).toThrow(boom);
    expect(seen).toEqual([1]);
    expect(m.irq(40).pending).toBe(true);
    expect(m.noLockHeld()).toBe(true);
  });

  it('a subscriber that unsubscribes another during delivery changes the next event, not this one', () => {
    const m = toy();
    spi(m, 40, 1);
    const seen: string[] = [];
    let stopB: () => void = () => {};
    m.onKick(() => {
      seen.push('a');
      stopB();
    });
    stopB = m.onKick(() => seen.push('b'));
    m.inject(40, 1);
    m.inject(40, 0);
    m.inject(40, 1);
    expect(seen).toEqual(['a', 'b', 'a']);
  });

  it('assigning to a subscription (the old setter form) throws INVALID_ARGUMENT and leaves the method and its subscribers in place', () => {
    const m = toy();
    spi(m, 40, 1);
    const kicks: number[] = [];
    m.onKick((k) => kicks.push(k));
    for (const name of ['onLine', 'onTrace', 'onKick', 'onEoiNotify', 'onHostDeactivate', 'onHostActivate', 'onHostClearPending'] as const) {
      let error: unknown = null;
      try {
        (m as unknown as Record<string, unknown>)[name] = () => {};
      } catch (e) {
        error = e;
      }
      expect(isVgicError(error, 'INVALID_ARGUMENT'), name).toBe(true);
      expect((error as Error).message).toContain(`${name}(listener)`);
      expect(typeof m[name]).toBe('function');
    }
    m.inject(40, 1);
    expect(kicks).toEqual([1]);
  });

  it('one subscriber is called directly: the engine slot holds the listener itself, and nothing once it unsubscribes', () => {
    const m = toy();
    const f = (): void => {};
    const stop = m.onKick(f);
    expect(m.vgic.onKick).toBe(f);
    const stop2 = m.onKick(() => {});
    expect(m.vgic.onKick).not.toBe(f);
    stop();
    stop2();
    expect(m.vgic.onKick).toBeNull();
  });
});
