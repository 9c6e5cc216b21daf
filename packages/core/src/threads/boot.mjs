// Worker bootstrap for running from TypeScript source (tests, `tsx`): a
// worker thread does not take a loader from `--import` in its execArgv on
// Node 20, so this plain module registers tsx itself and then loads the
// TypeScript worker entry. Built code (dist/) starts its worker directly.
import { workerData } from 'node:worker_threads';

const { register } = await import('tsx/esm/api');
register();
await import(workerData.entry);
