/**
 * Watches a machine through its public entry points — the calls an emulator
 * makes: MMIO, system registers, host lines, hardware mapping, vCPU entry and
 * exit, MSIs. After every call it checks the engine's invariants, that no lock is
 * held and that the lock order was kept; a guest access must never throw; a
 * host call may only fail with a `VgicError` of a misuse code, and then must
 * have changed nothing. Optionally it records each call, so a failing case
 * can be printed as the scenario steps that reproduce it.
 *
 * The methods are replaced on the instance, so the machine's own
 * `readRegister`/`writeRegister` (which end in `mmioRead`/`sysregWrite`...)
 * and the backend's `GuestOps` (which use both) are seen as the single
 * accesses they make.
 */
import { isVgicError, sysregKey, type AccessWidth, type Machine, type SysregEncoding } from '@vgic/core';

/** One call, as it was made. */
export type Record =
  | { t: 'mmio'; write: boolean; vcpu: number; addr: number; width: number; value: bigint }
  | { t: 'sysreg'; write: boolean; vcpu: number; key: number; value: bigint }
  | { t: 'inject'; intid: number; level: 0 | 1; vcpu: number | undefined }
  | { t: 'lineLevel'; intid: number; level: boolean; vcpu: number | undefined }
  | { t: 'levelInfo'; first: number; bits: number; vcpu: number }
  | { t: 'map'; intid: number; host: number; vcpu: number | undefined }
  | { t: 'unmap'; intid: number; vcpu: number | undefined }
  | { t: 'run' | 'exit'; vcpu: number }
  | { t: 'snapshot' | 'restore' }
  /** KVM_SIGNAL_MSI (`Machine.signalMsi`). */
  | { t: 'msi'; device: number; event: number }
  /** KVM ITS device: KVM_DEV_ARM_VGIC_GRP_CTRL (`ctrl`) or KVM_DEV_ARM_VGIC_GRP_ITS_REGS at `offset` (no scenario step). */
  | { t: 'kvmIts'; ctrl: 'save' | 'restore' | 'reset' | 'savePending' | null; offset: number; write: boolean; value: bigint }
  /** A device's write by address that is not the ITS's doorbell (`itsTranslaterWrite`; no scenario step). */
  | { t: 'translater'; device: number; address: number; value: number }
  /** A command queued as the guest's driver queues one (`queueItsCommand`), its fields as the scenario step names them. */
  | { t: 'its'; command: string; fields: [string, bigint][]; vcpu: number }
  /** A guest store to RAM. */
  | { t: 'poke'; addr: number; width: 8 | 16 | 32 | 64; value: bigint }
  /** Something that made no call, said in the scenario as a comment. */
  | { t: 'note'; text: string };

export type Recorded = Record & { error?: string };

/** Host-API misuse: the codes a host call may fail with (and then change nothing). */
const MISUSE = new Set(['INVALID_INTID', 'INVALID_VCPU', 'INVALID_ARGUMENT']);

/** Why a case failed, and after which recorded call. */
export class FuzzFailure extends Error {
  constructor(
    message: string,
    /** Index of the call in the run (whether recorded or not). */
    readonly call: number,
  ) {
    super(message);
    this.name = 'FuzzFailure';
  }
}

export type ExtraCheck = (m: Machine) => string | null;

export class Recorder {
  readonly records: Recorded[] = [];
  /** Calls seen so far (recorded or not). */
  calls = 0;
  /** While set, calls are neither recorded nor checked one by one (a snapshot's own exits). */
  paused = false;
  private depth = 0;

  constructor(
    readonly m: Machine,
    readonly record: boolean,
    private readonly extraCheck: ExtraCheck | null = null,
  ) {
    this.instrument();
  }

  /** The machine is sound now, or the first problem found. */
  problem(): string | null {
    const m = this.m;
    const problems = m.checkInvariants();
    if (problems.length > 0) return `invariant broken: ${problems.join('; ')}`;
    if (!m.noLockHeld()) return 'a lock is still held after the call returned';
    if (m.vgic.lockViolations !== 0) return `the lock order was violated (${m.vgic.lockViolations} time(s))`;
    return this.extraCheck?.(m) ?? null;
  }

  /**
   * Something the recorder does not see call by call (a snapshot, a
   * restore: their own exits and writes are not recorded), recorded before
   * it runs so that a case failing in it prints the step it failed at; then
   * the machine checked. It must not throw.
   */
  checkpoint(rec: Record, call: () => void): void {
    const n = this.calls++;
    if (this.record) this.records.push(rec);
    this.paused = true;
    try {
      call();
    } catch (e) {
      if (this.record) (rec as Recorded).error = describeError(e);
      throw new FuzzFailure(`the ${rec.t} threw: ${describeError(e)}`, n);
    } finally {
      this.paused = false;
    }
    const p = this.problem();
    if (p !== null) throw new FuzzFailure(p, n);
  }

  private guest<T>(rec: () => Record, call: () => T): T {
    if (this.depth > 0 || this.paused) return call();
    const n = this.calls++;
    const r = this.record ? rec() : null;
    if (r !== null) this.records.push(r);
    this.depth++;
    let out: T;
    try {
      out = call();
    } catch (e) {
      if (r !== null) (r as Recorded).error = describeError(e);
      throw new FuzzFailure(`a guest access threw: ${describeError(e)}`, n);
    } finally {
      this.depth--;
    }
    const p = this.problem();
    if (p !== null) throw new FuzzFailure(p, n);
    return out;
  }

  /** A host call through something other than the machine's own methods (the KVM device façade). */
  hostCall<T>(rec: () => Record, call: () => T): T {
    return this.host(rec, call);
  }

  /**
   * A host call that may also fail with `code` for a reason the guest made
   * (a table in its memory KVM cannot restore: KVM returns the errno and
   * keeps what it restored before it, so the state may have changed), or as
   * host misuse, changing nothing.
   */
  hostCallFailing<T>(rec: () => Record, call: () => T, code: string): T {
    return this.host(rec, call, code);
  }

  /**
   * Several guest accesses a scenario writes as one step (an `its:` command:
   * the stores to the queue and the GITS_CWRITER write), checked as one.
   */
  guestCall<T>(rec: () => Record, call: () => T): T {
    return this.guest(rec, call);
  }

  /** A guest store to RAM: no call into the machine, so only recorded. */
  store(rec: Record): void {
    if (this.depth > 0 || this.paused) return;
    this.calls++;
    if (this.record) this.records.push(rec);
  }

  private host<T>(rec: () => Record, call: () => T, guestCode: string | null = null): T {
    if (this.depth > 0 || this.paused) return call();
    const n = this.calls++;
    const r = this.record ? rec() : null;
    if (r !== null) this.records.push(r);
    const before = new Uint8Array(this.m.vgic.buffer).slice();
    this.depth++;
    let out: T;
    try {
      out = call();
    } catch (e) {
      this.depth--;
      if (isVgicError(e) && e.code === guestCode) {
        if (r !== null) (r as Recorded).error = e.code;
        const p = this.problem();
        if (p !== null) throw new FuzzFailure(p, n);
        throw e;
      }
      if (!isVgicError(e) || !MISUSE.has(e.code)) {
        if (r !== null) (r as Recorded).error = describeError(e);
        throw new FuzzFailure(`a host call failed in a way misuse never should: ${describeError(e)}`, n);
      }
      if (r !== null) (r as Recorded).error = e.code;
      if (!sameBytes(before, new Uint8Array(this.m.vgic.buffer))) {
        throw new FuzzFailure(`a host call failed with ${e.code} but changed the machine's state`, n);
      }
      const p = this.problem();
      if (p !== null) throw new FuzzFailure(p, n);
      throw e;
    }
    this.depth--;
    const p = this.problem();
    if (p !== null) throw new FuzzFailure(p, n);
    return out;
  }

  private instrument(): void {
    const m = this.m;
    const mmioRead = m.mmioRead.bind(m);
    const mmioWrite = m.mmioWrite.bind(m);
    const sysregRead = m.sysregRead.bind(m);
    const sysregWrite = m.sysregWrite.bind(m);
    const sysregRead32 = m.sysregRead32.bind(m);
    const sysregWriteWords = m.sysregWriteWords.bind(m);
    const inject = m.inject.bind(m);
    const setLineLevel = m.setLineLevel.bind(m);
    const mapHw = m.mapHw.bind(m);
    const unmapHw = m.unmapHw.bind(m);
    const enter = m.enter.bind(m);
    const exit = m.exit.bind(m);
    const signalMsi = m.signalMsi.bind(m);

    // A width other than 8, 16, 32, 64 is no guest access but the host's mistake: it may throw (and then change nothing).
    m.mmioRead = ((vcpu: number, addr: number, width: AccessWidth) => {
      const rec = (): Record => ({ t: 'mmio', write: false, vcpu, addr, width, value: 0n });
      return isAccessWidth(width) ? this.guest(rec, () => mmioRead(vcpu, addr, width)) : this.host(rec, () => mmioRead(vcpu, addr, width));
    }) as Machine['mmioRead'];
    m.mmioWrite = (vcpu, addr, width, value) => {
      const rec = (): Record => ({ t: 'mmio', write: true, vcpu, addr, width, value: toBig(value) });
      return isAccessWidth(width) ? this.guest(rec, () => mmioWrite(vcpu, addr, width, value)) : this.host(rec, () => mmioWrite(vcpu, addr, width, value));
    };
    m.sysregRead = (vcpu, enc) => this.guest(() => ({ t: 'sysreg', write: false, vcpu, key: keyOf(enc), value: 0n }), () => sysregRead(vcpu, enc));
    m.sysregWrite = (vcpu, enc, value) =>
      this.guest(() => ({ t: 'sysreg', write: true, vcpu, key: keyOf(enc), value: BigInt.asUintN(64, toBig(value)) }), () => sysregWrite(vcpu, enc, value));
    m.sysregRead32 = (vcpu, key) => this.guest(() => ({ t: 'sysreg', write: false, vcpu, key, value: 0n }), () => sysregRead32(vcpu, key));
    m.sysregWriteWords = (vcpu, key, lo, hi) =>
      this.guest(
        () => ({ t: 'sysreg', write: true, vcpu, key, value: (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0) }),
        () => sysregWriteWords(vcpu, key, lo, hi),
      );
    m.inject = (intid, level, vcpu) =>
      this.host(() => ({ t: 'inject', intid, level: level === true || level === 1 ? 1 : 0, vcpu }), () => inject(intid, level, vcpu));
    m.setLineLevel = (intid, level, vcpu) =>
      this.host(() => ({ t: 'lineLevel', intid, level: level === true || level === 1, vcpu }), () => setLineLevel(intid, level, vcpu));
    m.mapHw = (intid, host, vcpu) => this.host(() => ({ t: 'map', intid, host, vcpu }), () => mapHw(intid, host, vcpu));
    m.unmapHw = (intid, vcpu) => this.host(() => ({ t: 'unmap', intid, vcpu }), () => unmapHw(intid, vcpu));
    m.enter = (vcpu) => this.host(() => ({ t: 'run', vcpu }), () => enter(vcpu));
    m.exit = (vcpu) => this.host(() => ({ t: 'exit', vcpu }), () => exit(vcpu));
    m.signalMsi = (device, event) => this.host(() => ({ t: 'msi', device, event }), () => signalMsi(device, event));
  }
}

export function isAccessWidth(w: unknown): w is AccessWidth {
  return w === 8 || w === 16 || w === 32 || w === 64;
}

function keyOf(enc: SysregEncoding | number): number {
  return typeof enc === 'number' ? enc : sysregKey(enc);
}

/** A written value as the machine takes it: numbers truncated (as `mmioWrite` does), bigints as given. */
function toBig(value: number | bigint): bigint {
  if (typeof value === 'bigint') return value;
  return BigInt(Math.trunc(Number.isFinite(value) ? value : 0));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function describeError(e: unknown): string {
  if (isVgicError(e)) return `${e.code}: ${e.message}`;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}
