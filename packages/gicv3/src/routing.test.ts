import { describe, expect, test } from 'vitest';
import { hostRegisterWrite, type LockOps, type Machine } from '@vgic/core';
import { createGicv3, ICC_IAR1_EL1, ICC_IGRPEN0_EL1, ICC_IGRPEN1_EL1, ICC_PMR_EL1 } from './index.js';
import { bringUp } from './fixtures.js';

const GICD = 0x0800_0000;

/** The vCPUs whose IAR1 returns `intid` now (each is asked once). */
function takers(m: Machine, intid: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < m.vcpus; k++) if (m.sysregRead(k, ICC_IAR1_EL1) === BigInt(intid)) out.push(k);
  return out;
}

/** The target the backend computes from the routing word, for every SPI, equals the stored one. */
function routeTargetsAgree(m: Machine): boolean {
  const v = m.vgic;
  for (let s = v.nrVcpus * 32; s < v.nrSlots; s++) if (m.backend.routeTarget(v, s) !== v.target[s]) return false;
  return true;
}

describe('routing by affinity', () => {
  test('SPIs reset routed to the vCPU with affinity 0.0.0.0, or to none when no vCPU has it', () => {
    expect(createGicv3({ vcpus: 2 }).irq(40).target).toBe(0);
    expect(createGicv3({ vcpus: 2, mpidr: [0x1, 0x0] }).irq(40).target).toBe(1);
    expect(createGicv3({ vcpus: 2, mpidr: [0x1, 0x2] }).irq(40).target).toBeNull();
  });

  test('an SPI is delivered to the vCPU whose affinity IROUTER names', () => {
    const m = createGicv3({ vcpus: 20 });
    bringUp(m);
    m.writeRegister('GICD_ISENABLER1', 1 << 8);
    m.writeRegister('GICD_IROUTER40', 0x0101n);
    expect(m.irq(40).target).toBe(17);
    m.inject(40, 1);
    expect(takers(m, 40)).toEqual([17]);
    expect(routeTargetsAgree(m)).toBe(true);
  });

  test('a pending SPI routed to a missing affinity waits; routed back, it is delivered', () => {
    const m = createGicv3({ vcpus: 2 });
    bringUp(m);
    m.writeRegister('GICD_ISENABLER1', 1 << 8);
    m.writeRegister('GICD_IROUTER40', 0x0505n);
    m.inject(40, 1);
    expect(m.irq(40)).toMatchObject({ pending: true, target: null, queued: null });
    expect(m.hasPending(0) || m.hasPending(1)).toBe(false);
    expect(takers(m, 40)).toEqual([]);
    // Beyond KVM: the reroute itself queues it on its new target.
    m.mmioWrite(0, GICD + 0x6140, 32, 0x1);
    expect(m.irq(40)).toMatchObject({ target: 1, queued: 1 });
    expect(m.hasPending(1)).toBe(true);
    expect(takers(m, 40)).toEqual([1]);
    expect(routeTargetsAgree(m)).toBe(true);
  });

  test('a queued SPI rerouted elsewhere moves when its old vCPU exits', () => {
    const m = createGicv3({ vcpus: 2 });
    bringUp(m);
    m.writeRegister('GICD_ISENABLER1', 1 << 8);
    m.exit(0);
    m.inject(40, 1);
    expect(m.irq(40).queued).toBe(0);
    m.writeRegister('GICD_IROUTER40', 0x1n);
    m.enter(0);
    expect(m.listRegisters(0)).toEqual([]);
    m.exit(0);
    expect(m.irq(40).queued).toBe(1);
    expect(takers(m, 40)).toEqual([1]);
  });

  test('a 512-vCPU machine routes an SPI to its last vCPU', () => {
    const m = createGicv3({ vcpus: 512, spis: 32 });
    m.writeRegister('GICD_CTLR', 0x12);
    m.writeRegister('GICD_ISENABLER1', 1 << 8);
    const typer = m.readRegister('GICR_TYPER', { rd: 511 });
    expect(typer).toBe((0x1f0fn << 32n) | (511n << 8n) | 0x10n);
    m.writeRegister('GICD_IROUTER40', typer >> 32n);
    expect(m.irq(40).target).toBe(511);
    m.inject(40, 1);
    m.sysregWrite(511, ICC_PMR_EL1, 0xffn);
    m.sysregWrite(511, ICC_IGRPEN1_EL1, 1n);
    expect(m.sysregRead(511, ICC_IAR1_EL1)).toBe(40n);
  });

  test('Aff3 takes part in the match (beyond older KVM), and a low-half write keeps it', () => {
    const m = createGicv3({ vcpus: 2, mpidr: [0x0, 0x1_0000_0000n] });
    m.writeRegister('GICD_IROUTER40', 1n << 32n);
    expect(m.irq(40).target).toBe(1);
    m.mmioWrite(0, GICD + 0x6140, 32, 0);
    expect(m.irq(40).target).toBe(1);
    m.mmioWrite(0, GICD + 0x6144, 32, 0);
    expect(m.irq(40).target).toBe(0);
    m.writeRegister('GICD_IROUTER40', 2n << 32n);
    expect(m.irq(40).target).toBeNull();
    expect(routeTargetsAgree(m)).toBe(true);
  });

  test('a 64-bit IROUTER write changes the route at once, never through a mix of old and new halves', () => {
    const m = createGicv3({ vcpus: 2, mpidr: [0x0, 0x1_0000_0000n] });
    bringUp(m);
    m.writeRegister('GICD_ISENABLER1', 1 << 8);
    m.writeRegister('GICD_IROUTER40', 0x0505n);
    m.exit(0);
    m.exit(1);
    m.inject(40, 1);
    expect(m.irq(40).queued).toBeNull();
    // Low word 0 with the old Aff3 0 would name vCPU 0 on the way.
    m.mmioWrite(1, GICD + 0x6140, 64, 0x1_0000_0000n);
    expect(m.irq(40)).toMatchObject({ target: 1, queued: 1 });
    expect(m.apList(0)).toEqual([]);
    expect(takers(m, 40)).toEqual([1]);
  });

  test('Aff3 0xff round trips through IROUTER and routes to the vCPU that has it', () => {
    const m = createGicv3({ vcpus: 2, mpidr: [0x0, 0xff_00ff_ffffn] });
    m.writeRegister('GICD_IROUTER41', 0xff_00ff_ffffn);
    expect(m.readRegister('GICD_IROUTER41')).toBe(0xff_00ff_ffffn);
    expect(m.irq(41).target).toBe(1);
  });
});

describe('1-of-N routing (IRM = 1, beyond KVM)', () => {
  test('IRM reads back, and routes to vCPU 0 while no CPU interface has the group enabled', () => {
    const m = createGicv3({ vcpus: 4 });
    m.writeRegister('GICD_IROUTER40', 0x8000_0203n);
    expect(m.readRegister('GICD_IROUTER40')).toBe(0x8000_0203n);
    expect(m.irq(40).target).toBe(0);
  });

  test('the chosen vCPU is the lowest-numbered one with the interrupt\'s group enabled, and follows IGRPEN', () => {
    const m = createGicv3({ vcpus: 4 });
    m.writeRegister('GICD_IROUTER40', 0x8000_0000n);
    m.sysregWrite(2, ICC_IGRPEN1_EL1, 1n);
    expect(m.irq(40).target).toBe(2);
    m.sysregWrite(3, ICC_IGRPEN1_EL1, 1n);
    expect(m.irq(40).target).toBe(2);
    m.sysregWrite(1, ICC_IGRPEN1_EL1, 1n);
    expect(m.irq(40).target).toBe(1);
    m.sysregWrite(1, ICC_IGRPEN1_EL1, 0n);
    expect(m.irq(40).target).toBe(2);
    // Group-0 enables do not count for a Group-1 interrupt.
    m.sysregWrite(0, ICC_IGRPEN0_EL1, 1n);
    expect(m.irq(40).target).toBe(2);
    expect(routeTargetsAgree(m)).toBe(true);
  });

  test('the choice follows the interrupt\'s group', () => {
    const m = createGicv3({ vcpus: 4 });
    m.writeRegister('GICD_IROUTER40', 0x8000_0000n);
    m.sysregWrite(1, ICC_IGRPEN1_EL1, 1n);
    m.sysregWrite(3, ICC_IGRPEN0_EL1, 1n);
    expect(m.irq(40).target).toBe(1);
    m.writeRegister('GICD_IGROUPR1', ~(1 << 8) >>> 0);
    expect(m.irq(40).target).toBe(3);
    m.writeRegister('GICD_IGROUPR1', 0xffff_ffff);
    expect(m.irq(40).target).toBe(1);
    expect(routeTargetsAgree(m)).toBe(true);
  });

  test('a pending IRM interrupt is taken by the chosen vCPU, and moves when the choice changes', () => {
    const m = createGicv3({ vcpus: 3 });
    m.writeRegister('GICD_CTLR', 0x12);
    m.writeRegister('GICD_ISENABLER1', 1 << 8);
    m.writeRegister('GICD_IROUTER40', 0x8000_0000n);
    for (const k of [1, 2]) m.sysregWrite(k, ICC_PMR_EL1, 0xffn);
    m.sysregWrite(2, ICC_IGRPEN1_EL1, 1n);
    m.inject(40, 1);
    expect(m.irq(40).queued).toBe(2);
    m.sysregWrite(1, ICC_IGRPEN1_EL1, 1n);
    expect(m.irq(40).target).toBe(1);
    m.exit(2);
    expect(m.irq(40).queued).toBe(1);
    expect(m.sysregRead(1, ICC_IAR1_EL1)).toBe(40n);
  });

  test('clearing IRM routes by affinity again', () => {
    const m = createGicv3({ vcpus: 4 });
    m.writeRegister('GICD_IROUTER40', 0x8000_0003n);
    m.sysregWrite(1, ICC_IGRPEN1_EL1, 1n);
    expect(m.irq(40).target).toBe(1);
    m.writeRegister('GICD_IROUTER40', 0x3n);
    expect(m.irq(40).target).toBe(3);
    m.sysregWrite(2, ICC_IGRPEN1_EL1, 1n);
    expect(m.irq(40).target).toBe(3);
  });
});

describe('describeRoute', () => {
  test('names the affinity as aff3.aff2.aff1.aff0, with IRM when set; private interrupts their own vCPU\'s', () => {
    const m = createGicv3({ vcpus: 2, mpidr: [0x0, 0x4_0003_0201n] });
    const v = m.vgic;
    m.writeRegister('GICD_IROUTER40', 0x4_0003_0201n);
    expect(m.backend.describeRoute(v, v.slotOf(40, 0))).toBe('4.3.2.1');
    m.writeRegister('GICD_IROUTER41', 0x8000_0000n);
    expect(m.backend.describeRoute(v, v.slotOf(41, 0))).toBe('0.0.0.0 IRM');
    expect(m.backend.describeRoute(v, v.slotOf(27, 1))).toBe('4.3.2.1');
    expect(m.backend.describeRoute(v, v.slotOf(27, 0))).toBe('0.0.0.0');
  });
});

describe('64-bit IROUTER writes from a host thread', () => {
  /**
   * vCPUs at 0.0.0.0, 0.0.0.1, 1.0.0.0 and 1.0.0.1; INTID 40 pending and
   * routed to 1.0.0.0x55, which no vCPU has.
   */
  function pendingNowhere(): Machine {
    const m = createGicv3({ vcpus: 4, spis: 32, lockCheck: true, mpidr: [0n, 1n, 1n << 32n, (1n << 32n) | 1n] });
    m.writeRegister('GICD_CTLR', 0x12);
    m.writeRegister('GICD_ISENABLER1', 1 << 8);
    m.writeRegister('GICD_IROUTER40', (1n << 32n) | 0x55n);
    for (let k = 0; k < 4; k++) m.exit(k);
    m.inject(40, 1);
    expect(m.irq(40)).toMatchObject({ pending: true, target: null, queued: null });
    return m;
  }

  test('hostRegisterWrite moves the route in one step, as a guest\'s 64-bit write does: never through a half-written affinity', () => {
    for (const write of [
      (m: Machine) => m.writeRegister('GICD_IROUTER40', 0x1n),
      (m: Machine) => hostRegisterWrite(m, 'GICD_IROUTER40', 0x1n),
    ]) {
      const m = pendingNowhere();
      const queued: number[] = [];
      m.onTrace((e) => {
        if (e.type === 'queue') queued.push(e.vcpu);
      });
      // 1.0.0.0x55 → 0.0.0.1 (vCPU 1); the torn middle, 1.0.0.1, would be vCPU 3.
      write(m);
      expect(queued).toEqual([1]);
      expect(m.irq(40)).toMatchObject({ target: 1, queued: 1 });
      expect(m.checkInvariants()).toEqual([]);
    }
  });
});

/**
 * Locks that let a test act as another thread in the moment before a lock
 * is granted: `then` runs once, when lock word `at` is next taken, before the
 * taker goes on.
 */
class InterleavingLocks implements LockOps {
  readonly kind: string = 'interleaving';
  private at = -1;
  private then: (() => void) | null = null;
  when(at: number, then: () => void): void {
    this.at = at;
    this.then = then;
  }
  acquire(words: Int32Array, index: number): void {
    if (words[index] !== 0) throw new Error(`lock ${index} is already held`);
    words[index] = 1;
    if (index !== this.at || this.then === null) return;
    const then = this.then;
    this.then = null;
    then();
  }
  release(words: Int32Array, index: number): void {
    words[index] = 0;
  }
}

describe('IROUTER written from several threads', () => {
  test('a write of one half keeps the other half as it is when the write is made, not as it was before', () => {
    for (const high of [false, true]) {
      const locks = new InterleavingLocks();
      const m = createGicv3({ vcpus: 4, locks });
      const v = m.vgic;
      const slot = v.nrVcpus * 32 + 40 - 32;
      m.writeRegister('GICD_IROUTER40', 0x0001n);
      // Another thread's write of the other half lands while this one waits for the irq lock.
      locks.when(slot, () => {
        v.route[slot * 2 + (high ? 0 : 1)] = high ? 0x0003 : 0x01;
      });
      const at = GICD + 0x6100 + 8 * (40 - 32) + (high ? 4 : 0);
      m.mmioWrite(0, at, 32, high ? 0x00 : 0x0002);
      const word = m.readRegister('GICD_IROUTER40');
      // Both writes took effect: this half, and the other thread's.
      expect(word).toBe(high ? 0x0003n : (0x01n << 32n) | 0x0002n);
    }
  });

  test('making the 1-of-N choice again keeps a routing word another thread wrote meanwhile', () => {
    const locks = new InterleavingLocks();
    const m = createGicv3({ vcpus: 4, locks });
    const v = m.vgic;
    const slot = v.nrVcpus * 32 + 40 - 32;
    m.writeRegister('GICD_IROUTER40', 0x8000_0000n);
    // vCPU 2's IGRPEN1 write redoes the choice; meanwhile another thread routes 40 to vCPU 3 (affinity 0.0.0.3).
    locks.when(slot, () => {
      v.route[slot * 2] = 0x0003;
      v.target[slot] = 3;
    });
    m.sysregWrite(2, ICC_IGRPEN1_EL1, 1n);
    expect(m.readRegister('GICD_IROUTER40')).toBe(0x0003n);
    expect(m.irq(40).target).toBe(3);
  });
});
