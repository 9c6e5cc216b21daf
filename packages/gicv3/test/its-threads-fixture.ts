/**
 * What the ITS thread test runs in its workers: a guest that takes LPIs,
 * and a device thread signalling MSIs. Workers import this module by file URL.
 */
import { PHASE_RUN, type Guest, type GuestCpu } from '@vgic/core';
import type { TaskContext } from '@vgic/core/threads';

export const FIXTURE_URL: string = import.meta.url;

/** Acknowledge and EOI whatever comes (EOImode 0); count the LPIs taken. */
export function lpiGuest(): Guest {
  let lpis = 0;
  return {
    take(cpu: GuestCpu): boolean {
      const raw = cpu.ack();
      const intid = raw & 0xff_ffff;
      if (intid >= 1020 && intid < 8192) return false;
      if (intid >= 8192) lpis++;
      cpu.eoi(raw);
      return true;
    },
    report: () => ({ lpis }),
  };
}

export interface DeviceData {
  readonly device: number;
  readonly events: number;
}

/** Signal MSIs to events 0..events-1 of a device, round and round, until the run ends; count those translated. */
export function msiDevice(ctx: TaskContext): { sent: number; delivered: number } {
  const { device, events } = ctx.data as DeviceData;
  let sent = 0;
  let delivered = 0;
  while (ctx.control.phase === PHASE_RUN) {
    for (let e = 0; e < events; e++) {
      sent++;
      if (ctx.machine.signalMsi(device, e)) delivered++;
    }
  }
  return { sent, delivered };
}
