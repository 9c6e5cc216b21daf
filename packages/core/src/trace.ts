/**
 * Trace events, close to the kernel's vgic tracepoints. They are declared
 * here and nowhere else. An event is built only when someone listens: every
 * emit site reads `if (v.tracer !== null)`, so a machine nobody traces pays
 * one branch. A listener runs with no engine lock held, and a listener that
 * throws does not stop the engine (see notify.ts).
 */
export type TraceEvent =
  /** A host line change (KVM_IRQ_LINE); `accepted` is false when validation dropped it. */
  | { type: 'inject'; intid: number; vcpu: number; level: boolean; accepted: boolean }
  /** An interrupt was put on a vCPU's ap_list. */
  | { type: 'queue'; intid: number; vcpu: number }
  /** A vCPU was asked to exit and look at its ap_list again. */
  | { type: 'kick'; vcpu: number }
  /** vCPU entry: the list registers as filled, and whether underflow was requested. */
  | { type: 'flush'; vcpu: number; lrs: readonly LrView[]; queued: number; underflow: boolean }
  /** vCPU exit: one list register folded back into its interrupt. */
  | { type: 'fold'; vcpu: number; lr: number; intid: number; state: number }
  /** An interrupt left a vCPU's ap_list (neither pending nor active). */
  | { type: 'prune'; vcpu: number; intid: number }
  /** An interrupt moved to another vCPU's ap_list. */
  | { type: 'migrate'; intid: number; from: number; to: number }
  /** The guest acknowledged an interrupt (1023/1022: nothing to take). */
  | { type: 'ack'; vcpu: number; intid: number; source: number }
  /** The guest wrote an EOI; `inLr` false means the interrupt was in no list register. */
  | { type: 'eoi'; vcpu: number; intid: number; deactivated: boolean; inLr: boolean }
  /** The guest deactivated an interrupt with DIR. */
  | { type: 'dir'; vcpu: number; intid: number; deactivated: boolean; inLr: boolean }
  /** A maintenance interrupt: the vCPU exits before its next guest access. */
  | { type: 'maintenance'; vcpu: number; reason: MaintenanceReason }
  /** The guest's deactivation of a hardware-mapped interrupt reached the host (EOI, DIR, ICACTIVER, ICPENDR). */
  | { type: 'hostDeactivate'; vcpu: number; intid: number; hostIntid: number }
  /** The guest made a hardware-mapped interrupt active (ISACTIVER, ISPENDR), and so the host interrupt. */
  | { type: 'hostActivate'; vcpu: number; intid: number; hostIntid: number }
  /** The guest cleared a hardware-mapped interrupt's pending state (ICPENDR), and so the host interrupt's. */
  | { type: 'hostClearPending'; vcpu: number; intid: number; hostIntid: number }
  /** A vCPU's virtual IRQ/FIQ outputs changed. */
  | { type: 'line'; vcpu: number; irq: boolean; fiq: boolean };

export type MaintenanceReason = 'eoi' | 'underflow' | 'no-pending' | 'lr-entry-not-present';

export interface LrView {
  lr: number;
  intid: number;
  /** 1 pending, 2 active, 3 pending and active. */
  state: number;
  priority: number;
  group: number;
  hw: boolean;
  hostIntid: number;
  eoi: boolean;
  source: number;
}

export type Tracer = (event: TraceEvent) => void;
