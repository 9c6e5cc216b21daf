/**
 * The checks of LPIs and the ITS in a scenario: the header's `its`, `lpis`
 * and `memory` (GICv3's; regions apart, inside the guest-physical address
 * space, within the memory limit), and the steps that need them — a `poke`
 * or `peek` inside one region, an `its:` or `msi` step on a machine with an
 * ITS, and each command with exactly the fields the backend's ITS takes, in
 * range.
 */
import { closestName, type CommandField, type MemoryRegionSpec, type ScenarioBackend, type Step } from '@vgic/core';
import type { Path } from './document.js';
import type { LoadLimits } from './limits.js';
import type { Reporter } from './reporter.js';
import { num, u64, type Plain } from './steps.js';
import { bytesText, fieldName, shown } from './words.js';

/** Guest-physical addresses are at most 52 bits wide (FEAT_LPA, and the ITS's address fields). */
export const GUEST_PA_LIMIT: bigint = 1n << 52n;

const LPI_KEYS = ['its', 'lpis', 'memory'] as const;

function hexRange(base: bigint, size: bigint): string {
  return `0x${base.toString(16)}–0x${(base + size - 1n).toString(16)}`;
}

/** The header's `memory`, read exactly (sizes and bases may be written past 2^53 in a bad file). */
function regionsOf(r: Reporter, header: Plain): { base: bigint; size: bigint }[] {
  const list = header['memory'] as Plain[];
  return list.map((m, k) => ({ base: u64(r, ['memory', k], 'base', m['base']), size: u64(r, ['memory', k], 'size', m['size']) }));
}

/**
 * The header's LPI keys (valid against the header schema): none on GICv2;
 * every memory region non-empty, in the address space, apart from the
 * others, and all of them within `maxMemory`. Returns the regions when they
 * hold (an empty list without `memory`), null otherwise.
 */
export function checkLpiHeader(r: Reporter, header: Plain, limits: Pick<LoadLimits, 'maxMemory'>): MemoryRegionSpec[] | null {
  const before = r.count;
  if (header['gic'] === 'v2') {
    for (const key of LPI_KEYS.filter((k) => header[k] !== undefined)) {
      r.fail([key], `${key} is for GICv3: GICv2 has no LPIs, no ITS, and reads no tables from guest memory`, true);
    }
    return r.count === before ? [] : null;
  }
  if (header['memory'] === undefined) return [];
  const regions = regionsOf(r, header);
  let total = 0n;
  regions.forEach(({ base, size }, k) => {
    const at: Path = ['memory', k];
    if (size === 0n) {
      r.fail([...at, 'size'], `memory region ${k + 1} has size 0: a region holds at least one byte`);
      return;
    }
    if (base + size > GUEST_PA_LIMIT) {
      r.fail(at, `memory region ${k + 1} (${hexRange(base, size)}) ends past 2^52, the top of the guest-physical address space`);
      return;
    }
    total += size;
    const other = regions.findIndex((o, j) => j < k && o.size > 0n && base < o.base + o.size && o.base < base + size);
    if (other >= 0) {
      const o = regions[other]!;
      r.fail(at, `memory region ${k + 1} (${hexRange(base, size)}) overlaps region ${other + 1} (${hexRange(o.base, o.size)})`);
    }
  });
  if (total > BigInt(limits.maxMemory)) {
    r.fail(['memory'], `memory declares ${bytesText(Number(total))} of guest RAM; scenarios may declare up to ${bytesText(limits.maxMemory)}`, true, 'maxMemory');
  }
  return r.count === before ? regions.map(({ base, size }) => ({ base, size: Number(size) })) : null;
}

/** The checks of each step that uses guest RAM or the ITS. */
export class LpiChecks {
  constructor(
    private readonly r: Reporter,
    private readonly regions: readonly MemoryRegionSpec[],
    private readonly hasIts: boolean,
    private readonly backend: ScenarioBackend | undefined,
  ) {}

  step(step: Step, path: Path): void {
    switch (step.action) {
      case 'poke':
      case 'peek':
        this.address(step.action, step.address, (step.width ?? 64) / 8, path);
        if (step.action === 'peek') this.fits(path, 'expect', step.expect, step.width ?? 64);
        if (step.action === 'peek') this.fits(path, 'mask', step.mask, step.width ?? 64);
        else this.fits(path, 'value', step.value, step.width ?? 64);
        break;
      case 'its':
        if (this.needsIts(path, 'its')) this.command(step.command, step.fields, path);
        break;
      case 'msi':
        this.needsIts(path, 'msi');
        break;
      default:
        break;
    }
  }

  private fits(path: Path, key: string, v: bigint | undefined, width: number): void {
    if (v !== undefined && width < 64 && v >= 1n << BigInt(width) && v < 1n << 64n) {
      this.r.fail([...path, key], `${fieldName(path).prefix}${key} 0x${v.toString(16)} does not fit in a ${width}-bit access`);
    }
  }

  private address(action: string, addr: bigint, bytes: number, path: Path): void {
    const { prefix } = fieldName(path);
    if (this.regions.length === 0) {
      this.r.fail([...path, action], `${prefix}${action} reaches guest RAM, and this scenario declares none: add memory: [{ base, size }] to the header`);
      return;
    }
    const end = addr + BigInt(bytes);
    if (this.regions.some((m) => addr >= m.base && end <= m.base + BigInt(m.size))) return;
    const list = this.regions.map((m) => hexRange(m.base, BigInt(m.size))).join(', ');
    this.r.fail([...path, action], `${prefix}${action} of ${bytes} byte${bytes === 1 ? '' : 's'} at 0x${addr.toString(16)} is outside every memory region (${list})`);
  }

  private needsIts(path: Path, action: string): boolean {
    if (this.hasIts) return true;
    this.r.fail([...path, action], `${fieldName(path).prefix}${action} needs an ITS, and this machine has none: add its: true to the header`, true);
    return false;
  }

  private command(name: string, fields: Readonly<Record<string, bigint>>, path: Path): void {
    const { prefix } = fieldName(path);
    const table = this.backend?.commands;
    if (table === undefined) {
      this.r.fail([...path, 'its'], `${prefix}this GIC's scenario backend issues no ITS commands`);
      return;
    }
    const spec = table[name];
    if (spec === undefined) {
      const hint = closestName(name, Object.keys(table));
      this.r.fail([...path, 'its'], `${prefix}unknown ITS command ${shown(name)}${hint ? ` — did you mean ${hint}?` : ''} (commands: ${Object.keys(table).join(', ')})`);
      return;
    }
    const takes = spec.map((f) => f.name).join(', ');
    for (const key of Object.keys(fields)) {
      if (!spec.some((f) => f.name === key)) this.r.fail([...path, key], `${prefix}${name} has no field ${key} (it takes ${takes})`, true);
    }
    for (const f of spec) {
      const v = fields[f.name];
      if (v !== undefined) this.field(name, f, v, path);
      else if (f.required === true || (f.required === 'whenValid' && fields['valid'] === 1n)) {
        const when = f.required === true ? '' : ' when valid is 1';
        this.r.fail([...path, 'its'], `${prefix}${name} needs ${f.name}${when}: ${f.doc} (it takes ${takes})`);
      }
    }
  }

  private field(command: string, f: CommandField, v: bigint, path: Path): void {
    const { prefix } = fieldName(path);
    const min = f.min ?? 0n;
    const show = (x: bigint): string => (x > 255n ? `0x${x.toString(16)}` : String(x));
    if (v < min || v > f.max) {
      this.r.fail([...path, f.name], `${prefix}${f.name} ${show(v)} is out of range for ${command}: ${f.doc} is ${show(min)}..${show(f.max)}`);
    } else if (f.align !== undefined && v % BigInt(f.align) !== 0n) {
      this.r.fail([...path, f.name], `${prefix}${f.name} ${show(v)} is not a multiple of 0x${f.align.toString(16)}: ${command} holds ${f.doc}'s high bits only`);
    }
  }
}

/** The header's `its` and `lpis` as the scenario model has them. */
export function lpiShape(r: Reporter, header: Plain): { its?: { base?: bigint }; lpis?: number } {
  const its = header['its'];
  const out: { its?: { base?: bigint }; lpis?: number } = {};
  if (its === true) out.its = {};
  else if (its !== null && typeof its === 'object') {
    const base = (its as Plain)['base'];
    out.its = base === undefined ? {} : { base: u64(r, ['its'], 'base', base) };
  }
  if (header['lpis'] !== undefined) out.lpis = num(header['lpis']);
  return out;
}
