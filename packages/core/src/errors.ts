/**
 * Host-API misuse is reported with a `VgicError`: a stable `code` a caller
 * can switch on, and a message that says what was wrong and what is allowed.
 * A call that throws one has changed nothing.
 *
 * Guest-controlled input (MMIO, system registers) never throws: it gets what
 * the architecture or KVM gives (RAZ/WI, an unmapped result).
 */
export type VgicErrorCode =
  /** Reserved INTID, out of range for this machine, or an SGI given to host injection. */
  | 'INVALID_INTID'
  /** No such vCPU, or a private interrupt named without one. */
  | 'INVALID_VCPU'
  /** Options that do not describe a machine this backend can build. */
  | 'INVALID_CONFIG'
  /** An argument of the wrong type or out of its range (a level, a width, a value). */
  | 'INVALID_ARGUMENT'
  /** A register name that does not exist on this GIC version. */
  | 'UNKNOWN_REGISTER'
  /** The lock-order checker saw the order of DESIGN.md broken. */
  | 'LOCK_ORDER'
  /** A saved document that cannot be restored on this machine. */
  | 'INVALID_SNAPSHOT'
  /** The call is not allowed in the machine's current state. */
  | 'INVALID_STATE'
  /**
   * A thread stopped inside the engine (it died, was terminated, or failed
   * holding a lock), so the machine's state may be half-written: every call
   * that takes an engine lock refuses until `reset()` or a restore.
   */
  | 'MACHINE_BROKEN';

export class VgicError extends Error {
  readonly code: VgicErrorCode;

  constructor(code: VgicErrorCode, message: string) {
    super(message);
    this.name = 'VgicError';
    this.code = code;
  }
}

export function isVgicError(e: unknown, code?: VgicErrorCode): e is VgicError {
  return e instanceof VgicError && (code === undefined || e.code === code);
}
