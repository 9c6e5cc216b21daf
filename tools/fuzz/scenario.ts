/**
 * A recorded fuzz case as a scenario file (shared/SCENARIO.md), one flow-style
 * step a line. Guest MMIO accesses are named as the specification names the
 * register where one starts at that offset (`GICD_ISENABLER1`), and as a raw
 * frame offset otherwise (`GICD+0x429`, with the width); host calls that fail
 * as misuse carry `expectError`.
 *
 * Host calls with no scenario step — `Machine.setLineLevel`,
 * `Machine.unmapHw`, KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO through the KVM device
 * façade, a device's write to an address that is not the ITS's doorbell
 * (`itsTranslaterWrite`), an MSI whose numbers are no u32 — are written as
 * comments of a fixed form,
 *
 *   # host-only: { setLineLevel: 40, level: 1 }
 *   # host-only: { levelInfo: 32, bits: 0x100, vcpu: 1 }
 *   # host-only: { translater: 0x8090044, device: 1, value: 0 }
 *   # host-only: { msi: -1, event: 0, expectError: INVALID_ARGUMENT }
 *
 * which `vgic run` skips and `npm run fuzz -- --replay FILE` performs in place.
 */
import { sysregKey, type Machine } from '@vgic/core';
import { GITS_OFFSETS, decodeItsCommand } from '@vgic/gicv3';
import { parse } from 'yaml';
import { FUZZ_RAM, type MachineConfig, type GicVersion } from './config.js';
import type { Recorded } from './recorder.js';

export interface CaseHeader {
  gic: GicVersion;
  config: MachineConfig;
  name: string;
  /** Comment lines at the top (without `# `). */
  comments: string[];
}

function hex(v: bigint | number): string {
  const b = typeof v === 'bigint' ? v : BigInt(v);
  return b < 10n ? b.toString() : `0x${b.toString(16)}`;
}

/** `vcpu: k` where it is not the default. */
function vcpuKey(k: number): string {
  return k === 0 ? '' : `, vcpu: ${k}`;
}

/** The register an MMIO address names, as a scenario writes it. */
function mmioTarget(m: Machine, addr: number, width: number, vcpu: number): { register: string; extra: string } | null {
  for (const f of m.frames) {
    const span = f.perVcpu ? f.size * m.vcpus : f.size;
    if (addr < f.base || addr >= f.base + span) continue;
    const rel = addr - f.base;
    const rd = f.perVcpu ? Math.floor(rel / f.size) : null;
    const offset = f.perVcpu ? rel % f.size : rel;
    const rdKey = rd !== null && rd !== vcpu ? `, rd: ${rd}` : '';
    for (const r of f.registers) {
      const count = r.count ?? 1;
      const stride = r.stride ?? r.width / 8;
      const n = (offset - r.offset) / stride;
      if (!Number.isInteger(n) || n < 0 || n >= count) continue;
      const name = count > 1 ? `${r.name}${(r.firstIndex ?? 0) + n}` : r.name;
      // Only a name that resolves back to this very address (no other register shadows it).
      try {
        const back = m.resolve(name, { vcpu, ...(rd !== null && { rd }) });
        if (back.kind === 'mmio' && back.addr === addr) {
          return { register: name, extra: `${width !== back.width ? `, width: ${width}` : ''}${rdKey}` };
        }
      } catch {
        // fall through to the raw offset
      }
    }
    return { register: `${f.name}+0x${offset.toString(16)}`, extra: `${width !== 32 ? `, width: ${width}` : ''}${rdKey}` };
  }
  return null;
}

function sysregName(m: Machine, key: number): string | null {
  return m.backend.sysregs.find((s) => sysregKey(s) === key)?.name ?? null;
}

function expectError(r: Recorded): string {
  return r.error !== undefined && /^[A-Z_]+$/.test(r.error) ? `, expectError: ${r.error}` : '';
}

/** One recorded call as a step line (or a host-only comment), without indentation. */
export function stepLine(m: Machine, r: Recorded): string {
  switch (r.t) {
    case 'mmio': {
      const target = mmioTarget(m, r.addr, r.width, r.vcpu);
      if (target === null) return `# (a guest access at 0x${r.addr.toString(16)}, outside every frame)`;
      if (r.write) return `- { write: ${target.register}, value: ${hex(BigInt.asUintN(r.width === 64 ? 64 : Math.min(r.width, 32), r.value))}${target.extra}${vcpuKey(r.vcpu)} }`;
      return `- { read: ${target.register}${target.extra}${vcpuKey(r.vcpu)} }`;
    }
    case 'sysreg': {
      const name = sysregName(m, r.key);
      if (name === null) return `# (a system register access, encoding 0x${r.key.toString(16)}, that this GIC does not have)`;
      if (r.write) return `- { write: ${name}, value: ${hex(r.value)}${vcpuKey(r.vcpu)} }`;
      return `- { read: ${name}${vcpuKey(r.vcpu)} }`;
    }
    case 'inject':
      return `- { inject: ${r.intid}, level: ${r.level}${r.vcpu !== undefined ? `, vcpu: ${r.vcpu}` : ''}${expectError(r)} }`;
    case 'map':
      return `- { map: ${r.intid}, host: ${r.host}${r.vcpu !== undefined ? `, vcpu: ${r.vcpu}` : ''}${expectError(r)} }`;
    case 'run':
    case 'exit':
      return `- { ${r.t}: ${r.vcpu}${expectError(r)} }`;
    case 'snapshot':
    case 'restore':
      return `- { ${r.t}: s }`;
    case 'lineLevel':
      return `# host-only: { setLineLevel: ${r.intid}, level: ${r.level ? 1 : 0}${r.vcpu !== undefined ? `, vcpu: ${r.vcpu}` : ''}${expectError(r)} }`;
    case 'unmap':
      return `# host-only: { unmapHw: ${r.intid}${r.vcpu !== undefined ? `, vcpu: ${r.vcpu}` : ''}${expectError(r)} }`;
    case 'levelInfo':
      return `# host-only: { levelInfo: ${r.first}, bits: ${hex(r.bits)}${vcpuKey(r.vcpu)}${expectError(r)} }`;
    case 'msi':
      if (isU32(r.device) && isU32(r.event)) return `- { msi: ${r.device}, event: ${r.event}${expectError(r)} }`;
      return `# host-only: { msi: ${r.device}, event: ${r.event}${expectError(r)} }`;
    case 'kvmIts':
      if (r.ctrl !== null) return `# host-only: { kvmIts: ${r.ctrl}${expectError(r)} }`;
      return `# host-only: { kvmIts: ${r.write ? 'write' : 'read'}, offset: ${hex(r.offset)}${r.write ? `, value: ${hex(r.value)}` : ''}${expectError(r)} }`;
    case 'translater':
      return `# host-only: { translater: ${hex(r.address)}, device: ${r.device}, value: ${r.value}${expectError(r)} }`;
    case 'its':
      return `- { its: ${r.command}${r.fields.map(([name, v]) => `, ${name}: ${hex(v)}`).join('')}${vcpuKey(r.vcpu)} }`;
    case 'poke':
      return `- { poke: ${hex(r.addr)}, value: ${hex(r.value)}${r.width !== 64 ? `, width: ${r.width}` : ''} }`;
    case 'note':
      return `# (${r.text})`;
  }
}

const isU32 = (x: number): boolean => x >>> 0 === x;

/**
 * The scenario file for a recorded case. `failedAt` (an index into
 * `records`) gets a comment after its step saying what went wrong there.
 */
export function scenarioText(m: Machine, h: CaseHeader, records: readonly Recorded[], failedAt: number | null, failure: string | null): string {
  const out: string[] = h.comments.map((c) => (c === '' ? '#' : `# ${c}`));
  out.push(`name: ${JSON.stringify(h.name)}`);
  out.push(`gic: ${h.gic}`);
  out.push(`vcpus: ${h.config.vcpus}`);
  out.push(`spis: ${h.config.spis}`);
  out.push(`lrs: ${h.config.lrs}`);
  if (h.config.mpidr !== null) out.push(`mpidr: [${h.config.mpidr.map((a) => hex(a)).join(', ')}]`);
  if (h.config.its !== null) {
    out.push('its: true', `lpis: ${h.config.its.lpis}`, 'memory:', `  - { base: ${hex(FUZZ_RAM.base)}, size: ${hex(FUZZ_RAM.size)} }`);
  }
  out.push(records.length === 0 ? 'steps: []' : 'steps:');
  records.forEach((r, i) => {
    const queued = queuedCommand(m, records, i);
    if (queued !== null) out.push(`  # ${queued}`);
    out.push(`  ${stepLine(m, r)}`);
    if (i === failedAt && failure !== null) out.push(`  # ^ FAILED here: ${oneLine(failure)}`);
  });
  return `${out.join('\n')}\n`;
}

/**
 * When records `i`..`i + 3` store a command's 32 bytes and the next one
 * moves GITS_CWRITER (as the guest's driver queues a command), what the
 * bytes say: the command and its fields, or the opcode no command has.
 */
function queuedCommand(m: Machine, records: readonly Recorded[], i: number): string | null {
  const gits = m.frameMap.named('GITS')?.frame.base;
  if (gits === undefined) return null;
  const bytes = new Uint8Array(32);
  const view = new DataView(bytes.buffer);
  for (let j = 0; j < 4; j++) {
    const r = records[i + j];
    if (r?.t !== 'poke' || r.width !== 64 || (j > 0 && r.addr !== (records[i] as { addr: number }).addr + 8 * j)) return null;
    view.setBigUint64(8 * j, r.value, true);
  }
  const w = records[i + 4];
  if (w?.t !== 'mmio' || !w.write || w.addr !== gits + GITS_OFFSETS.GITS_CWRITER) return null;
  const c = decodeItsCommand(bytes);
  if (c === null) return `32 bytes no command: opcode 0x${bytes[0]!.toString(16)}`;
  const fields = Object.entries(c)
    .filter(([k]) => k !== 'cmd')
    .map(([k, v]) => `${k}: ${typeof v === 'boolean' ? (v ? 1 : 0) : hex(v as number | bigint)}`);
  return `${c.cmd} { ${fields.join(', ')} }`;
}

export function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').slice(0, 400);
}

export type HostOnly =
  | { call: 'setLineLevel'; intid: number; level: boolean; vcpu?: number; expectError?: string; line: number }
  | { call: 'unmapHw'; intid: number; vcpu?: number; expectError?: string; line: number }
  /** KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO: 32 line levels from INTID `first`. */
  | { call: 'levelInfo'; first: number; bits: number; vcpu?: number; expectError?: string; line: number }
  /** `itsTranslaterWrite(m, device, address, value)`. */
  | { call: 'translater'; address: number; device: number; value: number; expectError?: string; line: number }
  /** The KVM ITS device: KVM_DEV_ARM_VGIC_GRP_CTRL's save, restore or reset, or a GITS register by offset; `savePending` the GIC device's KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES. */
  | { call: 'kvmIts'; ctrl: 'save' | 'restore' | 'reset' | 'savePending' | null; write: boolean; offset: number; value: bigint; expectError?: string; line: number }
  /** `Machine.signalMsi` with numbers a scenario's `msi` step cannot hold. */
  | { call: 'msi'; device: number; event: number; expectError?: string; line: number };

const HOST_ONLY = /^\s*#\s*host-only:\s*(\{.*\})\s*$/;

/** The host-only comments of a scenario file, with their (1-based) lines. */
export function hostOnlyCalls(text: string): HostOnly[] {
  const out: HostOnly[] = [];
  text.split('\n').forEach((lineText, i) => {
    const m = HOST_ONLY.exec(lineText);
    if (m === null) return;
    const js = parse(m[1]!) as Record<string, unknown>;
    const common = {
      line: i + 1,
      ...(typeof js['vcpu'] === 'number' && { vcpu: js['vcpu'] }),
      ...(typeof js['expectError'] === 'string' && { expectError: js['expectError'] }),
    };
    if (typeof js['setLineLevel'] === 'number') out.push({ call: 'setLineLevel', intid: js['setLineLevel'], level: js['level'] === 1, ...common });
    else if (typeof js['unmapHw'] === 'number') out.push({ call: 'unmapHw', intid: js['unmapHw'], ...common });
    else if (typeof js['levelInfo'] === 'number') out.push({ call: 'levelInfo', first: js['levelInfo'], bits: Number(js['bits'] ?? 0), ...common });
    else if (typeof js['translater'] === 'number') {
      out.push({ call: 'translater', address: js['translater'], device: Number(js['device'] ?? 0), value: Number(js['value'] ?? 0), ...common });
    } else if (typeof js['kvmIts'] === 'string') {
      const what = js['kvmIts'];
      const ctrl = what === 'save' || what === 'restore' || what === 'reset' || what === 'savePending' ? what : null;
      // A 64-bit value: read again with integers as bigints (a double would round it).
      const value = (parse(m[1]!, { intAsBigInt: true }) as Record<string, unknown>)['value'];
      out.push({
        call: 'kvmIts',
        ctrl,
        write: what !== 'read',
        offset: Number(js['offset'] ?? 0),
        value: typeof value === 'bigint' ? value : BigInt(typeof value === 'number' ? value : 0),
        ...common,
      });
    } else if (typeof js['msi'] === 'number') out.push({ call: 'msi', device: js['msi'], event: Number(js['event'] ?? 0), ...common });
  });
  return out;
}
