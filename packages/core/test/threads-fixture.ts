/**
 * What the thread tests run in their workers: the toy GIC opened from a
 * handle, its CPU-interface names, and a few guests. Workers import this
 * module by file URL.
 */
import { Machine, PHASE_DRAIN, type CpuInterfaceNames, type Guest, type GuestCpu, type MachineHandle } from '../src/index.js';
import { createToyBackend, type ToyBackendOptions } from './fixtures/toy-gic.js';

export const TOY_CPU_INTERFACE: CpuInterfaceNames = {
  iar: 'TSYS_IAR1',
  eoir: 'TCPU_EOIR1',
  dir: 'TCPU_DIR',
  sgi: 'TDIST_SGIR',
  sgiFormat: 'list',
};

export function attachToy(handle: MachineHandle): Machine {
  return Machine.attach(createToyBackend((handle.backendOptions ?? {}) as ToyBackendOptions), handle.buffer);
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
