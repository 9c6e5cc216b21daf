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
  | { type: 'line'; vcpu: number; irq: boolean; fiq: boolean }
  /**
   * A guest access no register handles (unhandled.ts): inside a frame it
   * read as zero or was ignored; outside every frame, or for an encoding
   * this GIC does not implement, the access was refused to the emulator.
   * Never an exception: the guest chose the address.
   */
  | UnhandledAccess;

/**
 * Why no register handled a guest access: no frame holds the address, no
 * register is at that offset of the frame, the register there does not
 * allow the access's width or alignment, or no system register has the
 * encoding.
 */
export type UnhandledReason = 'no-frame' | 'no-register' | 'width' | 'no-sysreg';

export interface UnhandledAccess {
  type: 'unhandled';
  vcpu: number;
  write: boolean;
  /** The guest physical address of an MMIO access; a system register's packed encoding (`sysregKey`, -1 for none). */
  at: number;
  /** The access's width in bits (64 for a system register). */
  width: number;
  /** The frame holding the address (`GICD`), or null. */
  frame: string | null;
  /** The byte offset in that frame (for a per-vCPU frame, in that vCPU's part); 0 without a frame. */
  offset: number;
  reason: UnhandledReason;
}

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
