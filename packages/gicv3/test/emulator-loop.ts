// emulator-loop.ts — a CPU model's run loop around a GICv3: two vCPUs, a device line, kicks and WFI.
import { createGicv3, GICD_OFFSETS, ICC_KEYS } from '@vgic/gicv3';

const gic = createGicv3({ vcpus: 2, spis: 32 });
const GICD = 0x0800_0000;
const SPI = 33;

// kvm_vcpu_kick: something was queued for a vCPU. If it is in the guest, it must leave and come back to see it.
const kicked = new Set<number>();
gic.onKick((vcpu) => kicked.add(vcpu));

// Boot, as the guest's own stores and MSRs: the distributor, SPI 33 routed to vCPU 1, both CPU interfaces open.
gic.mmioWrite(0, GICD + GICD_OFFSETS.GICD_CTLR, 32, 0x12); // ARE | EnableGrp1
gic.mmioWrite(0, GICD + GICD_OFFSETS.GICD_IROUTER + 8 * SPI, 64, 1n); // affinity 0.0.0.1: vCPU 1
gic.mmioWrite(0, GICD + GICD_OFFSETS.GICD_ISENABLER + 4, 32, 1 << (SPI - 32));
for (const k of [0, 1]) {
  gic.sysregWriteWords(k, ICC_KEYS.ICC_PMR_EL1, 0xff, 0);
  gic.sysregWriteWords(k, ICC_KEYS.ICC_IGRPEN1_EL1, 1, 0);
}
// A guest access comes from inside the guest: it entered each vCPU (KVM's flush) without an enter() of ours.
console.log(`in the guest: vCPU 0 ${gic.isRunning(0)}, vCPU 1 ${gic.isRunning(1)}`);
kicked.clear(); // the boot's own kicks: enabling the distributor kicks every vCPU

// A device raises SPI 33 while vCPU 1 runs. It is queued and vCPU 1 is kicked, but the list registers were
// filled when it entered: its vIRQ stays down until it exits and enters again, as on KVM.
gic.inject(SPI, 1);
console.log(`after inject: vCPU 1 vIRQ ${gic.irqLine(1)}, kicked ${kicked.has(1)}`);

// The run loop: one pass over the vCPUs per tick.
for (let tick = 0; tick < 3; tick++) {
  for (const k of [0, 1]) {
    if (kicked.delete(k)) {
      if (gic.isRunning(k)) gic.exit(k); // vgic_sync_hwstate: the list registers go back to the interrupts
      gic.enter(k); // vgic_flush_hwstate: what is queued goes into the list registers
    }
    if (!gic.isRunning(k)) continue; // asleep in WFI until a kick
    if (gic.irqLine(k)) {
      const intid = gic.sysregRead32(k, ICC_KEYS.ICC_IAR1_EL1); // MRS x0, ICC_IAR1_EL1
      console.log(`tick ${tick}: vCPU ${k} takes INTID ${intid}`);
      gic.sysregWriteWords(k, ICC_KEYS.ICC_EOIR1_EL1, intid, 0); // MSR ICC_EOIR1_EL1, x0
    } else if (!gic.hasPending(k)) {
      gic.exit(k); // WFI with nothing to take: the vCPU leaves the guest and sleeps
      console.log(`tick ${tick}: vCPU ${k} waits for an interrupt`);
    }
  }
  if (tick === 1) gic.inject(SPI, 1); // the device again: the sleeping vCPU 1 is kicked awake
}
