/**
 * `its: COMMAND` steps on a GICv3 with an ITS: the commands and their
 * fields as the loader checks a step against them (@vgic/gicv3's field
 * table, with which of them a step must give), and the command issued as
 * the guest's driver issues it (@vgic/gicv3's queueItsCommand: the 32 bytes
 * at GITS_CWRITER's offset in the queue GITS_CBASER describes, then
 * GITS_CWRITER moved past them).
 */
import { VgicError, type CommandField, type Machine } from '@vgic/core';
import { ITS_COMMAND_FIELDS, queueItsCommand, type ItsCommand, type ItsCommandField } from '@vgic/gicv3';

/** What each field holds, for messages. */
const FIELD_DOC: Readonly<Record<string, string>> = {
  device: 'the DeviceID',
  event: 'the EventID',
  intid: 'the LPI INTID (pINTID)',
  collection: 'the collection (ICID)',
  itt: 'the ITT address',
  size: 'the number of EventID bits the ITT covers',
  valid: 'the V bit',
  // GITS_TYPER.PTA = 0, as KVM: a target is a vCPU number.
  target: 'the target vCPU (RDbase, a PE number)',
  from: 'the vCPU whose LPIs move (RDbase1)',
};

/** A field a step may leave out: MAPD's ITT and MAPC's target mean nothing when the command unmaps (V = 0). */
function required(command: string, field: string): boolean | 'whenValid' {
  if ((command === 'MAPD' && (field === 'itt' || field === 'size')) || (command === 'MAPC' && field === 'target')) return 'whenValid';
  return true;
}

function commandField(command: string, f: ItsCommandField): CommandField {
  return {
    name: f.name,
    ...(f.min !== undefined && { min: BigInt(f.min) }),
    max: f.max !== undefined ? BigInt(f.max) : (1n << BigInt(f.bits)) - 1n,
    ...(f.align !== undefined && { align: f.align }),
    required: required(command, f.name),
    doc: FIELD_DOC[f.name] ?? f.name,
  };
}

/** Each command's fields, in the order IHI 0069 6.3 gives them. */
export const ITS_COMMANDS: Readonly<Record<string, readonly CommandField[]>> = Object.fromEntries(
  Object.entries(ITS_COMMAND_FIELDS).map(([command, fields]) => [command, fields.map((f) => commandField(command, f))]),
);

/** Issue `command` as the guest's driver does, by `vcpu`; the fields the loader checked, those left out at zero. */
export function issueItsCommand(m: Machine, command: string, fields: Readonly<Record<string, bigint>>, vcpu: number): void {
  const c: Record<string, unknown> = { cmd: command };
  for (const f of ITS_COMMAND_FIELDS[command as ItsCommand['cmd']]) {
    const v = fields[f.name];
    c[f.name] = f.name === 'itt' ? (v ?? 0n) : f.name === 'size' ? Number(v ?? 1n) : Number(v ?? 0n);
  }
  if (!queueItsCommand(m, c as unknown as ItsCommand, vcpu)) {
    throw new VgicError('INVALID_STATE', `${command} cannot be queued: the command queue (GITS_CBASER, GITS_CWRITER) is not in guest memory`);
  }
}
