/**
 * A guest's writes to the pending and active state of a hardware-mapped
 * interrupt reach the host, as KVM's vgic-mmio.c passes them to the physical
 * interrupt (vgic_hw_irq_cpending, vgic_hw_irq_change_active, and the active
 * state ISPENDR gives a mapped interrupt): ICPENDR clears the host
 * interrupt's pending state and, unless the interrupt is active, deactivates
 * it; ICACTIVER deactivates it; ISACTIVER and ISPENDR make it active, so the
 * host does not signal it again before the guest is done with it.
 */
import { describe, expect } from 'vitest';
import type { Machine } from '../../machine.js';
import type { ConformanceContext, Taken } from './context.js';

export const HW_STATE_TESTS: readonly string[] = ['hw.icpendr', 'hw.icpendr-active', 'hw.icactiver', 'hw.isactiver', 'hw.ispendr'];

export function describeHwState(c: ConformanceContext): void {
  const { guest } = c;

  /** A machine whose host side records what reaches it, in order; SPI 40 (to vCPU 1) is mapped to host 60. */
  function hostMachine(): { m: Machine; host: string[] } {
    const m = c.boot({ vcpus: 2 });
    const host: string[] = [];
    m.onHostDeactivate((h, intid, vcpu) => host.push(`deactivate ${h} ${intid} ${vcpu}`));
    m.onHostActivate((h, intid, vcpu) => host.push(`activate ${h} ${intid} ${vcpu}`));
    m.onHostClearPending((h, intid, vcpu) => host.push(`clear-pending ${h} ${intid} ${vcpu}`));
    c.spi(m, 40, { to: 1 });
    m.mapHw(40, 60);
    return { m, host };
  }

  /** SPI 40 raised and acknowledged by vCPU 1: active in its list register. */
  function takeMapped(m: Machine): Taken {
    m.inject(40, 1);
    const t = c.take(m, 1);
    expect(t.intid).toBe(40);
    return t;
  }

  describe('hardware-mapped interrupts: guest state writes reach the host', () => {
    c.test('hw.icpendr', 'ICPENDR of a pending hardware-mapped interrupt clears and deactivates the host interrupt', () => {
      const { m, host } = hostMachine();
      m.inject(40, 1);
      guest.clearPending(m, 40, 0);
      expect(host).toEqual(['clear-pending 60 40 0', 'deactivate 60 40 0']);
      expect(m.irq(40)).toMatchObject({ pending: false, active: false });
      expect(c.takeIntid(m, 1)).toBeGreaterThanOrEqual(1020);

      // A mapped PPI (a timer), its line high: the host is told, on the PPI's own vCPU.
      guest.enable(m, 27, 1);
      m.mapHw(27, 27, 1);
      m.inject(27, 1, 1);
      host.length = 0;
      guest.clearPending(m, 27, 1);
      expect(host).toEqual(['clear-pending 27 27 1', 'deactivate 27 27 1']);
    });

    c.test('hw.icpendr-active', 'ICPENDR of an active hardware-mapped interrupt clears the host pending state only', () => {
      const { m, host } = hostMachine();
      const t = takeMapped(m);
      m.exit(1);
      guest.clearPending(m, 40, 0);
      expect(host).toEqual(['clear-pending 60 40 0']);
      c.eoi(m, 1, t);
      expect(host).toEqual(['clear-pending 60 40 0', 'deactivate 60 40 1']);
    });

    c.test('hw.icactiver', 'ICACTIVER of an active hardware-mapped interrupt deactivates the host interrupt, once', () => {
      const { m, host } = hostMachine();
      const t = takeMapped(m);
      // vCPU 0 ends it while it is live in vCPU 1's list register.
      guest.clearActive(m, 40, 0);
      expect(host).toEqual(['deactivate 60 40 0']);
      expect(m.irq(40).active).toBe(false);
      // The guest's own EOI finds nothing left to deactivate.
      c.eoi(m, 1, t);
      m.exit(1);
      expect(host).toEqual(['deactivate 60 40 0']);
      expect(m.irq(40)).toMatchObject({ active: false, pending: false });
    });

    c.test('hw.isactiver', 'ISACTIVER of a hardware-mapped interrupt makes the host interrupt active; its deactivation ends it', () => {
      const { m, host } = hostMachine();
      guest.setActive(m, 40, 0);
      expect(host).toEqual(['activate 60 40 0']);
      expect(m.irq(40).active).toBe(true);
      guest.clearActive(m, 40, 0);
      expect(host).toEqual(['activate 60 40 0', 'deactivate 60 40 0']);
    });

    c.test('hw.ispendr', 'ISPENDR of a hardware-mapped interrupt makes the host interrupt active until the guest deactivates it', () => {
      const { m, host } = hostMachine();
      guest.setPending(m, 40, 0);
      expect(host).toEqual(['activate 60 40 0']);
      const t = c.take(m, 1);
      expect(t.intid).toBe(40);
      c.eoi(m, 1, t);
      expect(host).toEqual(['activate 60 40 0', 'deactivate 60 40 1']);
    });
  });
}
