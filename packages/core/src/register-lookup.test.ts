import { describe, expect, it } from 'vitest';
import { sysregKey, type SysregDef } from './backend.js';
import { SysregTable } from './register-lookup.js';

const reg = (name: string, crm: number, op2: number): SysregDef => ({ name, op0: 3, op1: 0, crn: 12, crm, op2, traps: false, read: () => 0 });

describe('SysregTable', () => {
  it('is made once per register list: machines sharing their backend list share the table', () => {
    const list = [reg('A', 12, 0), reg('B', 12, 1)];
    const t = SysregTable.of(list);
    expect(SysregTable.of(list)).toBe(t);
    expect(t.at(sysregKey(list[1]!))?.name).toBe('B');
    expect(t.at(sysregKey({ op0: 3, op1: 0, crn: 12, crm: 12, op2: 2 }))).toBeUndefined();
  });

  it('gives another list, however alike, its own table', () => {
    const a = [reg('A', 12, 0)];
    const b = [reg('A', 12, 0), reg('C', 8, 0)];
    expect(SysregTable.of(b)).not.toBe(SysregTable.of(a));
    expect(SysregTable.of(b).at(sysregKey(b[1]!))?.name).toBe('C');
    expect(SysregTable.of(a).at(sysregKey(b[1]!))).toBeUndefined();
  });

  it('serves every empty list with one table that names nothing', () => {
    expect(SysregTable.of([])).toBe(SysregTable.of([]));
    expect(SysregTable.of([]).at(0)).toBeUndefined();
  });
});
