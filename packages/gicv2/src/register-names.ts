/**
 * The names a GICv2 machine's registers answer to, as types: what
 * `createGicv2` machines take in `readRegister`, `writeRegister` and
 * `resolve`. Every GICv2 register is 32 bits wide, so every read is a
 * number.
 */
import type { RegisterName, RegisterNames } from '@vgic/core';
import type { GiccArrayRegister, GiccRegister } from './regs/gicc.js';
import type { GicdArrayRegister, GicdRegister } from './regs/gicd.js';

export interface Gicv2Registers extends RegisterNames {
  /**
   * Every GICD and GICC register — an array register with an index
   * (`GICD_ISENABLER1`; the index is any number to the type and checked when
   * the call is made) — and a raw frame offset (`GICD+0x800`).
   */
  readonly bits32:
    | GicdRegister
    | GiccRegister
    | `${GicdArrayRegister | GiccArrayRegister}${number}`
    | `${'GICD' | 'GICC'}+${string}`;
  readonly bits64: never;
}

/** A register name of a GICv2: `GICD_ITARGETSR10`, `GICC_IAR`, `GICD+0x800`. */
export type Gicv2RegisterName = RegisterName<Gicv2Registers>;
