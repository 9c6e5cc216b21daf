/**
 * What the thread tests run in their workers: the toy GIC opened from a
 * handle, its CPU-interface names, and a few guests. Workers import this
 * module by file URL.
 */
import {
  Machine,
  PHASE_DRAIN,
  PHASE_RUN,
  isVgicError,
  releaseHeldLocks,
  type CpuInterfaceNames,
  type Guest,
  type GuestCpu,
  type MachineHandle,
} from '../src/index.js';
import type { TaskContext } from '../src/threads/index.js';
import { createToyBackend, type ToyBackendOptions } from './fixtures/toy-gic.js';

export const TOY_CPU_INTERFACE: CpuInterfaceNames = {
  iar: 'TSYS_IAR1',
  eoir: 'TCPU_EOIR1',
  dir: 'TCPU_DIR',
  sgi: 'TDIST_SGIR',
};

export function attachToy(handle: MachineHandle): Machine {
  const guestMemory = handle.guestMemory;
  return Machine.attach(createToyBackend((handle.backendOptions ?? {}) as ToyBackendOptions), handle.buffer, {
    ...(guestMemory !== undefined && { guestMemory }),
  });
}

/**
 * Reads the word the main thread left in guest memory at `data.at`, writes
 * its complement at `data.at + 4`, and signals device 0's event 0 (the toy's
 * LPI 8192): what a device model on a thread of its own does.
 */
export function guestMemoryTask(ctx: TaskContext): { read: number; fault: boolean; msi: boolean } {
  const { machine } = ctx;
  const at = (ctx.data as { at: number }).at;
  const read = machine.memory.read32(at);
  machine.memory.write32(at + 4, ~read >>> 0);
  return { read, fault: machine.memory.fault, msi: machine.signalMsi(0, 0) };
}

export const FIXTURE_URL: string = import.meta.url;

/** Acknowledge, EOI (and DIR with EOImode 1); report how often each INTID came. */
export function countingGuest(): Guest {
  const seen: Record<string, number> = {};
  return {
    take(cpu: GuestCpu): boolean {
      const raw = cpu.ack();
      const intid = raw & 0x3ff;
      if (intid >= 1020) return false;
      seen[`intid${intid}`] = (seen[`intid${intid}`] ?? 0) + 1;
      cpu.eoi(raw);
      if (cpu.eoiMode !== 0) cpu.dir(raw);
      return true;
    },
    report: () => seen,
  };
}

/** Takes nothing until the drain (PHASE_DRAIN); counts what it takes then. */
export function lateGuest(): Guest {
  const counting = countingGuest();
  return {
    take: (cpu) => cpu.phase === PHASE_DRAIN && counting.take(cpu),
    report: () => counting.report!(),
  };
}

/**
 * On its first step, takes an irq lock and then its ap_list_lock: the
 * order reversed. Afterwards it is a counting guest.
 */
export function lockBreakingGuest(cpu: GuestCpu): Guest {
  const counting = countingGuest();
  let broken = false;
  return {
    take(c: GuestCpu): boolean {
      if (!broken) {
        broken = true;
        const v = cpu.vgic;
        v.lockIrq(v.slotOf(40, 0));
        v.lockApList(cpu.vcpu);
      }
      return counting.take(c);
    },
    report: () => counting.report!(),
  };
}

/**
 * A counting guest whose thread listens to everything its machine reports
 * and, from inside every callback, asks the machine about itself (the
 * queries take the engine's locks: none may be held when a callback runs).
 */
export function reenteringGuest(cpu: GuestCpu): Guest {
  const counting = countingGuest();
  const m = cpu.machine;
  let callbacks = 0;
  let failures = 0;
  const look = (): void => {
    callbacks++;
    try {
      for (let k = 0; k < m.vcpus; k++) m.hasPending(k);
      m.irq(32);
    } catch {
      failures++;
    }
  };
  m.onTrace(look);
  m.onLine(look);
  m.onKick(look);
  return {
    take: (c) => counting.take(c),
    report: () => ({ ...counting.report!(), callbacks, failures }),
  };
}

/** What a listener of the fixtures throws. */
export class ListenerError extends Error {}

/**
 * A counting guest whose trace listener throws at every EOI: the EOI has
 * happened when the guest's write throws, and the guest goes on.
 */
export function eoiThrowingGuest(cpu: GuestCpu): Guest {
  let thrown = 0;
  const seen: Record<string, number> = {};
  cpu.machine.onTrace((e) => {
    if (e.type === 'eoi') throw new ListenerError('the listener failed');
  });
  return {
    take(c: GuestCpu): boolean {
      const raw = c.ack();
      const intid = raw & 0x3ff;
      if (intid >= 1020) return false;
      seen[`intid${intid}`] = (seen[`intid${intid}`] ?? 0) + 1;
      try {
        c.eoi(raw);
      } catch (e) {
        if (!(e instanceof ListenerError)) throw e;
        thrown++;
      }
      return true;
    },
    report: () => ({ ...seen, thrown }),
  };
}

/**
 * A task that injects edge SPIs 32..39 until the run ends, with a trace
 * listener that throws at every event: each injection throws, after it has
 * queued and kicked.
 */
export function throwingInjector(ctx: TaskContext): { attempts: number; thrown: number } {
  const m = ctx.machine;
  let attempts = 0;
  let thrown = 0;
  m.onTrace(() => {
    throw new ListenerError('the listener failed');
  });
  while (ctx.control.phase === PHASE_RUN) {
    for (let intid = 32; intid < 40; intid++) {
      attempts++;
      try {
        m.inject(intid, 1);
      } catch (e) {
        if (!(e instanceof ListenerError)) throw e;
        thrown++;
      }
    }
  }
  return { attempts, thrown };
}

/**
 * Takes its vCPU's ap_list_lock, says so in the control block's first user
 * word, and never lets go: a thread that will be terminated holding a lock.
 */
export function lockHoldingGuest(cpu: GuestCpu): Guest {
  return {
    take(): boolean {
      cpu.vgic.lockApList(cpu.vcpu);
      Atomics.store(cpu.control.user, 0, 1);
      for (;;) Atomics.wait(cpu.control.user, 1, 0, 1000);
    },
  };
}

/** Keeps raising an SPI to itself and taking it, and never returns: only a terminate ends it, anywhere in the engine. */
export function busyGuest(cpu: GuestCpu): Guest {
  return {
    take(c: GuestCpu): boolean {
      for (;;) {
        c.machine.inject(40, 1);
        const raw = c.ack();
        if ((raw & 0x3ff) < 1020) c.eoi(raw);
      }
    },
  };
}

/**
 * Takes the irq lock of INTID 40, says so in the first user word, waits a
 * little (so that the main thread can start waiting for that lock), then
 * fails with an exception, the lock still held.
 */
export function failingGuest(cpu: GuestCpu): Guest {
  return {
    take(): boolean {
      const v = cpu.vgic;
      v.lockIrq(v.slotOf(40, 0));
      Atomics.store(cpu.control.user, 0, 1);
      Atomics.wait(cpu.control.user, 1, 0, 300);
      throw new Error('the guest failed in a critical section');
    },
  };
}

/** A task that breaks the lock order once, catches the violation, gives its locks back and returns. */
export function lockBreakingTask(ctx: TaskContext): string {
  const v = ctx.machine.vgic;
  try {
    v.lockIrq(v.slotOf(41, 0));
    v.lockApList(0);
  } catch (e) {
    if (!isVgicError(e, 'LOCK_ORDER')) throw e;
    releaseHeldLocks(v);
    return 'caught';
  }
  return 'not caught';
}
