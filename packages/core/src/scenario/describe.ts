/** A step in words, for reports: `vCPU0 write GICD_CTLR = 0x12`, `inject 40 level 1`, `msi device 1 event 0`. */
import { describeCheck } from './checks.js';
import type { Step } from './types.js';
import { hex } from './view.js';

function accessSuffix(step: { width?: number; rd?: number }): string {
  let s = '';
  if (step.width !== undefined) s += ` (${step.width}-bit)`;
  if (step.rd !== undefined) s += ` of RD${step.rd}`;
  return s;
}

export function describeStep(step: Step): string {
  switch (step.action) {
    case 'write':
      return `vCPU${step.vcpu ?? 0} write ${step.register}${accessSuffix(step)} = ${hex(step.value)}`;
    case 'read':
      return `vCPU${step.vcpu ?? 0} read ${step.register}${accessSuffix(step)}`;
    case 'inject': {
      const who = step.intid < 32 ? ` on vCPU${step.vcpu ?? 0}` : step.vcpu !== undefined ? ` (vCPU${step.vcpu})` : '';
      return `inject ${step.intid}${who} level ${step.level ?? 1}`;
    }
    case 'map': {
      const who = step.intid < 32 ? ` of vCPU${step.vcpu ?? 0}` : '';
      return `map ${step.intid}${who} → host ${step.host ?? step.intid}`;
    }
    case 'run':
      return `run vCPU${step.vcpu}`;
    case 'exit':
      return `exit vCPU${step.vcpu}`;
    case 'check':
      return `check ${describeCheck(step.check)}`;
    case 'snapshot':
      return `snapshot ${step.name}`;
    case 'restore':
      return `restore ${step.name}`;
    case 'poke':
      return `poke ${hex(step.address)} (${step.width ?? 64}-bit) = ${hex(step.value)}`;
    case 'peek':
      return `peek ${hex(step.address)} (${step.width ?? 64}-bit)`;
    case 'its': {
      const fields = Object.entries(step.fields).map(([k, v]) => ` ${k} ${v > 9n ? hex(v) : v}`);
      return `vCPU${step.vcpu ?? 0} its ${step.command}${fields.join('')}`;
    }
    case 'msi':
      return `msi device ${step.device} event ${step.event}`;
  }
}
