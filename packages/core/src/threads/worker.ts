/**
 * The entry of every worker thread: opens the machine from its handle with
 * the backend the main thread named, under the thread id the main thread
 * reserved for it, then runs a vCPU (`runVcpu` with the guest module's
 * handler) or a task, and posts its counters or result back.
 *
 * A worker that fails — its guest or task throws, or the run loop stops on
 * a lock-order violation — first looks whether it still holds engine locks.
 * If it does, the critical section they guard was cut short: it breaks the
 * machine before it posts the error, from this thread, so that another
 * thread already waiting for one of those locks learns it at once
 * (lock-owners.ts). The main thread frees the id when the worker has exited.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { VgicError, isVgicError } from '../errors.js';
import { adoptThread } from '../lock-owners.js';
import type { Machine, MachineHandle } from '../machine.js';
import { builtinModule } from './builtins.js';
import { ThreadControl } from './control.js';
import { GuestCpu } from './guest-cpu.js';
import type { ModuleRef, WorkerData, WorkerMessage } from './protocol.js';
import { runVcpu, type GuestFactory } from './runner.js';

const BUILTIN = 'vgic:';

async function load(ref: ModuleRef): Promise<unknown> {
  const mod = ref.module.startsWith(BUILTIN)
    ? builtinModule(ref.module.slice(BUILTIN.length))
    : ((await import(ref.module)) as Record<string, unknown>);
  const name = ref.export ?? 'default';
  const fn = mod[name];
  if (typeof fn !== 'function') throw new VgicError('INVALID_ARGUMENT', `${ref.module} has no function export "${name}"`);
  return fn;
}

function post(message: WorkerMessage): void {
  parentPort!.postMessage(message);
}

/** The machine as this thread opened it, once it has. */
let opened: Machine | null = null;

/** This thread is leaving the engine abnormally: if it holds locks, the machine breaks now. */
function leaveEngine(): void {
  const v = opened?.vgic;
  if (v !== undefined) v.lockSpace.breakIfHolding(v.lockOwner.id);
}

async function main(data: WorkerData): Promise<void> {
  const backend = (await import(data.backend.module)) as Record<string, unknown>;
  const attach = backend[data.backend.attach];
  if (typeof attach !== 'function') {
    throw new VgicError('INVALID_ARGUMENT', `${data.backend.module} has no function export "${data.backend.attach}"`);
  }
  adoptThread(data.handle.buffer, data.thread);
  const machine = (attach as (h: MachineHandle) => Machine)(data.handle);
  opened = machine;
  if (machine.vgic.lockOwner.id !== data.thread) {
    throw new VgicError(
      'INVALID_STATE',
      `the worker opened the machine as thread ${machine.vgic.lockOwner.id}, not as thread ${data.thread} reserved for it: ` +
        `${data.backend.module} uses another copy of @vgic/core than this worker`,
    );
  }
  const control = ThreadControl.open(data.control, machine.vcpus);

  if (data.kind === 'vcpu') {
    const cpu = new GuestCpu(machine, data.vcpu, control, data.cpuInterface);
    const factory = (await load(data.guest)) as GuestFactory;
    const guest = await factory(cpu, data.guest.data);
    post({ type: 'ready' });
    runVcpu(cpu, guest, data.run);
    post({ type: 'done', counters: cpu.counters });
  } else {
    const task = (await load(data.task)) as (ctx: unknown) => unknown;
    post({ type: 'ready' });
    const result = await task({ machine, control, data: data.task.data, name: data.name });
    post({ type: 'done', result });
  }
}

// `process.exit()` from a guest or task ends the thread where it stands.
process.once('exit', leaveEngine);

main(workerData as WorkerData).catch((e: unknown) => {
  leaveEngine();
  const err = e instanceof Error ? e : new Error(String(e));
  post({
    type: 'error',
    message: err.message,
    ...(isVgicError(err) && { code: err.code }),
    ...(err.stack !== undefined && { stack: err.stack }),
  });
});
