import { describe, expect, it } from 'vitest';
import { createToy } from '../../test/fixtures/toy-gic.js';
import { toyGuest } from '../../test/fixtures/toy-guest.js';
import { ThreadControl } from './control.js';
import { GuestCpu } from './guest-cpu.js';
import { stressGuest } from './stress-roles.js';
import type { StressLayout } from './stress-layout.js';
import { MAILBOX_SLOTS, handDir } from './stress-races.js';

const VCPUS = 4;
const SPI = 40;

const LAYOUT: StressLayout = {
  edgeFirst: SPI,
  edgeCount: 1,
  levelFirst: 0,
  levelCount: 0,
  toggleFirst: 0,
  toggleCount: 0,
  halvesFirst: 0,
  halvesCount: 0,
  crossDir: true,
  mailboxBase: VCPUS * VCPUS,
  sgis: false,
  sgiEvery: 4,
  seed: 1,
};

describe("the stress guest's DIR mailbox", () => {
  it('takes a DIR handed over while its acknowledge re-entered the kicked vCPU (the kick is spent there), not after the drain', () => {
    const m = createToy({ vcpus: VCPUS, spis: 32, shared: true });
    toyGuest.init(m);
    for (const k of [1, 3]) toyGuest.setEoiMode(m, k, 1);
    toyGuest.setEdge(m, SPI, true);
    toyGuest.route(m, SPI, 3);
    toyGuest.enable(m, SPI);
    const control = ThreadControl.create(VCPUS, VCPUS * VCPUS + VCPUS * MAILBOX_SLOTS);
    const owner = new GuestCpu(m, 3, control);
    const partner = new GuestCpu(m, 1, control);

    // vCPU 3 takes the SPI and drops its priority (EOImode 1): active until a DIR.
    m.inject(SPI, 1);
    m.enter(3);
    const raw = owner.ack();
    expect(raw & 0x3ff).toBe(SPI);
    owner.eoi(raw);

    // vCPU 1 runs with nothing of its own; vCPU 3 hands it the DIR just
    // before vCPU 1's acknowledge, after its guest looked in the mailbox.
    m.enter(1);
    const guest = stressGuest(partner, LAYOUT);
    const ack = partner.ack.bind(partner);
    let handed = false;
    partner.ack = () => {
      if (!handed) handed = handDir(owner, LAYOUT, 1, raw);
      return ack();
    };
    while (guest.take(partner));
    m.exit(1);

    expect(handed).toBe(true);
    // Nothing is left for a kick to wake vCPU 1 for: the DIR was made.
    expect(m.hasPending(1)).toBe(false);
    expect(guest.report!().dirsForOthers).toBe(1);
    expect(m.irq(SPI).active).toBe(false);
  });
});
