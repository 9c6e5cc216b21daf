/**
 * The one fallback for a guest access no register handles. Inside a frame
 * such an access reads as zero and its write is ignored (RAZ/WI, KVM's
 * check_region); outside every frame, and for a system-register encoding the
 * GIC does not implement, `Machine` returns undefined or false so the
 * emulator raises its own abort or UNDEFINED. Either way nothing throws —
 * the guest chose the access — and a tracer hears of it as an `unhandled`
 * event, as QEMU logs LOG_GUEST_ERROR for a bad offset: a guest poking at
 * registers this GIC lacks is worth seeing while bringing one up.
 *
 * Callers test `v.tracer !== null` first, so an untraced machine pays one
 * branch on a path that is cold anyway.
 */
import { registerWordAt, type IndexedFrame } from './frames.js';
import { emitTrace } from './notify.js';
import type { Vgic } from './vgic.js';

/** An MMIO access that found no frame (`f` null) or no register of that width in `f`. Caller has checked `v.tracer !== null`. */
export function unhandledMmio(v: Vgic, vcpu: number, write: boolean, addr: number, width: number, f: IndexedFrame | null, offset: number): void {
  // An address that is not one (NaN, a fraction, a negative) is no access at all.
  if (f === null && !(Number.isInteger(addr) && addr >= 0)) return;
  const reason = f === null ? 'no-frame' : registerWordAt(f, offset) ? 'width' : 'no-register';
  emitTrace(v, { type: 'unhandled', vcpu, write, at: addr, width, frame: f === null ? null : f.frame.name, offset: f === null ? 0 : offset, reason });
}

/** A system-register access of an encoding (packed key, -1 for none) this GIC does not implement. Caller has checked `v.tracer !== null`. */
export function unhandledSysreg(v: Vgic, vcpu: number, write: boolean, key: number): void {
  emitTrace(v, { type: 'unhandled', vcpu, write, at: key, width: 64, frame: null, offset: 0, reason: 'no-sysreg' });
}
