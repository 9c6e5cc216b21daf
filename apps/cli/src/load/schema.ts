/**
 * The JSON Schemas of a scenario file (the format: apps/cli/README.md), checked with ajv.
 *
 * The loader checks a copy of the document in which every integer is a
 * JavaScript number, so that ajv can type-check it; the exact 64-bit values
 * are taken from the original document afterwards and range-checked there.
 * A file is checked in two parts: the header, then each step against the
 * schema of its one action, so that an error names the step and says what
 * that action takes. Names have a length limit, so that no message or
 * suggestion works on a megabyte-long one.
 */
import { CHECK_FIELDS, type CheckFieldKind, type StepAction } from '@vgic/core';

type Schema = Record<string, unknown>;

/** The `VgicError` codes a step may expect. */
export const ERROR_CODES: readonly string[] = [
  'INVALID_INTID',
  'INVALID_VCPU',
  'INVALID_CONFIG',
  'INVALID_ARGUMENT',
  'UNKNOWN_REGISTER',
  'INVALID_SNAPSHOT',
  'INVALID_STATE',
];

/** An unsigned 64-bit number: an integer, or a decimal or 0x-hex string (JSON has no hex). */
const U64: Schema = { type: ['integer', 'string'], minimum: 0, pattern: '^(0[xX][0-9a-fA-F]+|[0-9]+)$' };
/** A 32-bit quantity: an ID a device or the ITS gives. */
const U32: Schema = { type: 'integer', minimum: 0, maximum: 0xffffffff };

/** The fields an `its:` step's command may carry (which a command takes is the backend's to say). */
export const COMMAND_FIELDS: readonly string[] = ['device', 'event', 'intid', 'collection', 'itt', 'size', 'valid', 'target', 'from'];

/** The most regions `memory` may list. */
export const MAX_MEMORY_REGIONS = 64;

const MEMORY_REGION: Schema = {
  type: 'object',
  properties: { base: U64, size: U64 },
  required: ['base', 'size'],
  additionalProperties: false,
};
const VCPU: Schema = { type: 'integer', minimum: 0 };
const INTID: Schema = { type: 'integer', minimum: 0 };
/** Register and snapshot names: the longest register name is some 20 characters. */
const NAME: Schema = { type: 'string', minLength: 1, maxLength: 256 };

export const HEADER_SCHEMA: Schema = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 1000 },
    gic: { type: 'string', enum: ['v2', 'v3'] },
    vcpus: { type: 'integer', minimum: 1, maximum: 512 },
    spis: { type: 'integer', minimum: 0, maximum: 988, multipleOf: 32 },
    lrs: { type: 'integer', minimum: 1, maximum: 16 },
    mpidr: { type: 'array', items: U64 },
    its: { type: ['boolean', 'object'], properties: { base: U64 }, additionalProperties: false },
    lpis: { type: 'integer', minimum: 1, maximum: 65536 - 8192 },
    memory: { type: 'array', items: MEMORY_REGION, minItems: 1, maxItems: MAX_MEMORY_REGIONS },
    steps: { type: 'array', items: { type: 'object' } },
  },
  required: ['gic', 'vcpus', 'steps'],
  additionalProperties: false,
};

const COMMON: Schema = { vcpu: VCPU, expectError: { type: 'string', enum: ERROR_CODES } };
const ACCESS: Schema = { width: { type: 'integer', enum: [8, 16, 32, 64] }, rd: VCPU };

function kindSchema(kind: CheckFieldKind): Schema {
  switch (kind) {
    case 'boolean':
      return { type: 'boolean' };
    case 'integer':
      return { type: 'integer', minimum: 0 };
    case 'integerOrNull':
      return { type: ['integer', 'null'], minimum: 0 };
    case 'integerList':
      return { type: 'array', items: { type: 'integer', minimum: 0 } };
    case 'config':
      return { type: 'string', enum: ['edge', 'level'] };
  }
}

const CHECK_SCHEMA: Schema = {
  type: 'object',
  properties: {
    irq: INTID,
    vcpu: VCPU,
    ordered: { type: 'boolean' },
    ...Object.fromEntries(CHECK_FIELDS.map((f) => [f.name, kindSchema(f.kind)])),
  },
  additionalProperties: false,
};

function step(action: StepAction, value: Schema, props: Schema, required: string[] = []): Schema {
  return {
    type: 'object',
    properties: { [action]: value, ...props },
    required: [action, ...required],
    additionalProperties: false,
  };
}

/** One schema per action; the keys each may carry are exactly those of the scenario format. */
export const STEP_SCHEMAS: Readonly<Record<StepAction, Schema>> = {
  write: step('write', NAME, { value: U64, ...ACCESS, ...COMMON }, ['value']),
  read: step('read', NAME, { expect: U64, mask: U64, ...ACCESS, ...COMMON }),
  inject: step('inject', INTID, { level: { enum: [0, 1, true, false] }, ...COMMON }),
  map: step('map', INTID, { host: { type: 'integer', minimum: 0, maximum: 0xffffff }, ...COMMON }),
  run: step('run', VCPU, { expectError: COMMON['expectError'] }),
  exit: step('exit', VCPU, { expectError: COMMON['expectError'] }),
  check: step('check', CHECK_SCHEMA, { expectError: COMMON['expectError'] }),
  snapshot: step('snapshot', NAME, { expectError: COMMON['expectError'] }),
  restore: step('restore', NAME, { expectError: COMMON['expectError'] }),
  poke: step('poke', U64, { value: U64, width: ACCESS['width'], expectError: COMMON['expectError'] }, ['value']),
  peek: step('peek', U64, { width: ACCESS['width'], expect: U64, mask: U64, expectError: COMMON['expectError'] }),
  its: step('its', { type: 'string', minLength: 1, maxLength: 32 }, { ...Object.fromEntries(COMMAND_FIELDS.map((f) => [f, U64])), ...COMMON }),
  msi: step('msi', U32, { event: U32, expectError: COMMON['expectError'] }, ['event']),
};

/** What each action's value is, for messages. */
export const ACTION_VALUE: Readonly<Record<StepAction, string>> = {
  write: 'a register name',
  read: 'a register name',
  inject: 'an INTID',
  map: 'an INTID',
  run: 'a vCPU number',
  exit: 'a vCPU number',
  check: 'a map of fields to check',
  snapshot: 'a snapshot name',
  restore: 'a snapshot name',
  poke: 'a guest-physical address',
  peek: 'a guest-physical address',
  its: 'an ITS command name',
  msi: 'a DeviceID',
};
