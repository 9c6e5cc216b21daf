/**
 * The listeners of one kind of machine event (`onLine`, `onTrace`, `onKick`,
 * the EOI and host callbacks), and the one function the engine calls for
 * them all.
 *
 * The engine keeps a single slot per event (`Vgic.onKick`...), tested for
 * null on the hot path, so that nobody listening costs a branch. This list
 * fills that slot: with nothing, with the one listener itself when there is
 * one (the common case costs no more than a slot of its own), or with a
 * fan-out over a frozen copy of the list when there are several. The copy is
 * made when someone subscribes or unsubscribes, never per event, so
 * delivery allocates nothing, and a listener that unsubscribes (itself or
 * another) while an event is delivered changes only the next event's list.
 *
 * When one of several listeners throws, the others still get the event and
 * the first error is thrown on (the engine keeps it for the host call, see
 * notify.ts). The engine calls the slot only with no engine lock held.
 */
import { describeValue } from './args.js';
import { VgicError } from './errors.js';

/** Stops one subscription's delivery. Calling it again does nothing. */
export type Unsubscribe = () => void;

/** A listener of up to three arguments, the widest any machine event has. */
type Listener = (a: never, b: never, c: never) => void;

/** No error was thrown (an error may be any value, `undefined` included). */
const NO_ERROR: unique symbol = Symbol('no error');

/** One call of every listener in `ls`; each runs even when an earlier one throws. */
function fanOut<F extends Listener>(ls: readonly F[]): F {
  const fan = (a: never, b: never, c: never): void => {
    let first: unknown = NO_ERROR;
    for (let i = 0; i < ls.length; i++) {
      try {
        ls[i]!(a, b, c);
      } catch (e) {
        if (first === NO_ERROR) first = e;
      }
    }
    if (first !== NO_ERROR) throw first;
  };
  return fan as F;
}

export class Subscribers<F extends Listener> {
  /** One entry per subscription (the same function twice is two). */
  private entries: { readonly fn: F }[] = [];

  /**
   * @param what the method's name, for the error a non-function gets
   * @param install puts the function the engine should call (or null) into its slot
   */
  constructor(
    private readonly what: string,
    private readonly install: (dispatch: F | null) => void,
  ) {}

  /** Add a listener; throws INVALID_ARGUMENT (adding nothing) for anything that is not a function. */
  add(fn: F): Unsubscribe {
    if (typeof fn !== 'function') {
      throw new VgicError('INVALID_ARGUMENT', `${this.what} takes a function, and returns one that unsubscribes it; got ${describeValue(fn)}`);
    }
    const entry = { fn };
    this.entries = [...this.entries, entry];
    this.update();
    return () => {
      if (!this.entries.includes(entry)) return;
      this.entries = this.entries.filter((e) => e !== entry);
      this.update();
    };
  }

  get size(): number {
    return this.entries.length;
  }

  private update(): void {
    const es = this.entries;
    this.install(es.length === 0 ? null : es.length === 1 ? es[0]!.fn : fanOut(Object.freeze(es.map((e) => e.fn))));
  }
}
