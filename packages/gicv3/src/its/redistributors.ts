/**
 * What the ITS asks of the redistributors (their LPI registers live in
 * regs/lpi.ts): KVM's vgic_lpis_enabled, update_lpi_config's property
 * byte, vgic_v3_lpi_sync_pending_status and max_lpis_propbaser.
 */
import type { Vgic } from '@vgic/core';
import { lpiIntidLimit, lpiReadConfig, lpiSyncPendingBit, lpisEnabled } from '../regs/lpi.js';

export interface LpiRedistributors {
  /** GICR_CTLR.EnableLPIs of `vcpu`'s redistributor (read without a lock, as KVM's vgic_lpis_enabled). */
  lpisEnabled(v: Vgic, vcpu: number): boolean;
  /** Read the LPI's property byte from the table GICR_PROPBASER names and apply it; a fault leaves the LPI as it is. */
  readConfig(v: Vgic, slot: number): void;
  /** A new LPI's pending bit from its target's pending table (KVM: vgic_v3_lpi_sync_pending_status). */
  syncPending(v: Vgic, slot: number): void;
  /** One past the largest LPI INTID GICR_PROPBASER.IDbits allows, capped at 2^16 (max_lpis_propbaser). */
  intidLimit(v: Vgic): number;
}

/** The GICv3 redistributors' answers. */
export const gicrLpis: LpiRedistributors = Object.freeze({
  lpisEnabled,
  readConfig: lpiReadConfig,
  syncPending: lpiSyncPendingBit,
  intidLimit: lpiIntidLimit,
});
