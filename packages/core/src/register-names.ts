/**
 * Register names as types. A backend package describes the names its GIC
 * has, split by width, as a `RegisterNames`; its factory returns a
 * `Machine<ThoseNames>`, so that `readRegister('GICD_CTRL')` on a GICv3 is a
 * compile-time error, an editor completes `GICD_ISENABLER1`, and the value
 * read has the type its width gives (a number up to 32 bits, a bigint for
 * 64). A `Machine` made from a backend chosen at run time has the default,
 * `RegisterNames` itself: any string is a name, and a read is
 * `number | bigint`.
 *
 * Only types live here; the names a machine has at run time come from its
 * backend's frames and system registers.
 */
/**
 * The register names of a GIC: `bits32`, the names whose natural access is
 * 32 bits wide or narrower (read as a number); `bits64`, those 64 bits wide
 * (read as a bigint: GICv3's `GICD_IROUTER<n>`, `GICR_TYPER`, and every
 * system register, as the architecture makes them all 64 bits wide).
 */
export interface RegisterNames {
  readonly bits32: string;
  readonly bits64: string;
}

/** Every name of a GIC's `RegisterNames`. */
export type RegisterName<R extends RegisterNames = RegisterNames> = R['bits32'] | R['bits64'];

/** The width an options object asks for, or undefined for the register's own. */
export type WidthOption<O> = O extends { readonly width: infer W } ? W : undefined;

/**
 * What `readRegister(name, { width })` returns: a number for an access of
 * 32 bits or fewer, a bigint for one of 64; without a width, as the
 * register's natural width says. `number | bigint` where it cannot be known
 * (a name the types do not place, a width that may be either).
 */
export type RegisterValue<R extends RegisterNames, K extends string, W> = [W] extends [8 | 16 | 32]
  ? number
  : [W] extends [64]
    ? bigint
    : [W] extends [undefined]
      ? K extends R['bits64']
        ? string extends R['bits64']
          ? number | bigint
          : bigint
        : K extends R['bits32']
          ? string extends R['bits32']
            ? number | bigint
            : number
          : number | bigint
      : number | bigint;
