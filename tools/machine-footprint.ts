/**
 * What one machine costs in JavaScript heap, and in array-buffer memory (its
 * state buffer and its frames' offset indexes, which live outside the heap):
 * many machines are made and kept, and both measured after a full
 * collection, before and after.
 *
 *   node --expose-gc --conditions=@vgic/source --import tsx tools/machine-footprint.ts [COUNT]
 */
import { createGicv2 } from '@vgic/gicv2';
import { createGicv3 } from '@vgic/gicv3';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  process.stderr.write('machine-footprint: run node with --expose-gc\n');
  process.exit(2);
}
const count = Number(process.argv[2] ?? 200);

/** A full collection, twice: the first frees what the last measurement kept, whose buffers the second sees freed. */
function collect(): NodeJS.MemoryUsage {
  gc!();
  gc!();
  return process.memoryUsage();
}

function perMachine(make: () => unknown): { heap: number; buffers: number } {
  const keep: unknown[] = [make()];
  const before = collect();
  for (let i = 0; i < count; i++) keep.push(make());
  const after = collect();
  if (keep.length !== count + 1) throw new Error('unreachable');
  return { heap: (after.heapUsed - before.heapUsed) / count, buffers: (after.arrayBuffers - before.arrayBuffers) / count };
}

const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;
for (const vcpus of [1, 8]) {
  for (const [name, make] of [
    ["GICv2", () => createGicv2({ vcpus })],
    ['GICv3', () => createGicv3({ vcpus })],
  ] as const) {
    const { heap, buffers } = perMachine(make);
    console.log(`${name} ${vcpus} vCPU${vcpus > 1 ? 's' : ''}: ${kb(heap)} of heap per machine, and ${kb(buffers)} of array buffers`);
  }
}
