/**
 * The names a GICv3 machine's registers answer to, as types: what
 * `createGicv3` machines take in `readRegister`, `writeRegister` and
 * `resolve`, split by width as core's `RegisterNames` asks, so a 64-bit
 * register reads a bigint and every other one a number.
 */
import type { RegisterName, RegisterNames } from '@vgic/core';
import type { GicdRegisterName } from './regs/gicd.js';
import type { GicrRegisterName } from './regs/gicr.js';
import type { GitsRegisterName, GitsWideName } from './its/frame.js';
import type { IccRegisterName } from './regs/icc.js';

/** The 64-bit MMIO registers of a GICv3: the rest of the GICD, GICR and GITS frames are 32-bit. */
export type Gicv3WideMmioName =
  | `GICD_IROUTER${number}`
  | 'GICR_TYPER'
  | 'GICR_PROPBASER'
  | 'GICR_PENDBASER'
  | 'GICR_INVLPIR'
  | 'GICR_INVALLR'
  | GitsWideName;

export interface Gicv3Registers extends RegisterNames {
  /** Every GICD, GICR and GITS register but the 64-bit ones, and a raw frame offset (`GICD+0x429`, read 32 bits wide). */
  readonly bits32:
    | Exclude<GicdRegisterName | GicrRegisterName | GitsRegisterName, Gicv3WideMmioName>
    | `${'GICD' | 'GICR' | 'GITS'}+${string}`;
  /** `GICD_IROUTER<n>`, `GICR_TYPER`, the 64-bit LPI and GITS registers (`GICR_PROPBASER`, `GITS_CWRITER`, ...), and the ICC system registers (AArch64 makes every system register 64 bits wide). */
  readonly bits64: Gicv3WideMmioName | IccRegisterName;
}

/** A register name of a GICv3: `GICD_ISENABLER1`, `GICR_WAKER`, `GITS_CWRITER`, `ICC_IAR1_EL1`, `GICD+0x100`. */
export type Gicv3RegisterName = RegisterName<Gicv3Registers>;
