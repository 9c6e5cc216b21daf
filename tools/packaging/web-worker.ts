/**
 * The browser check's Web Worker program (cross-origin isolated page only):
 * the page makes a shared GICv3 and injects SPI 40 for vCPU 1; a Web Worker,
 * vCPU 1's thread, opens the same machine from its handle, enters vCPU 1,
 * acknowledges and EOIs the interrupt, and answers; the page reads the
 * result back from the shared state.
 */
import { createGicv3 } from '@vgic/gicv3';

interface WebWorker {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: string }) => void) | null;
  onerror: ((event: { message: string }) => void) | null;
}
const WorkerCtor = (globalThis as unknown as { Worker: new (url: URL, options: { type: 'module' }) => WebWorker }).Worker;

const m = createGicv3({ vcpus: 2, spis: 32, shared: true });
m.writeRegister('GICD_CTLR', 0x12); // ARE | EnableGrp1
m.writeRegister('GICD_ISENABLER1', 1 << 8); // SPI 40
m.writeRegister('GICD_IPRIORITYR10', 0xa0);
m.writeRegister('GICD_IROUTER40', 1); // vCPU 1's affinity
m.writeRegister('ICC_PMR_EL1', 0xff, { vcpu: 1 });
m.writeRegister('ICC_IGRPEN1_EL1', 1, { vcpu: 1 });
for (let k = 0; k < m.vcpus; k++) m.exit(k);
m.inject(40, 1);
console.log(`page: SPI 40 pending ${m.irq(40).pending}, on vCPU 1's ap_list [${m.apList(1).join(', ')}]`);

const worker = new WorkerCtor(new URL('./web-worker-vcpu.js', import.meta.url), { type: 'module' });
const answer = await new Promise<string>((resolve, reject) => {
  worker.onmessage = (e) => resolve(e.data);
  worker.onerror = (e) => reject(new Error(`the worker failed: ${e.message}`));
  worker.postMessage(m.handle({}));
});
console.log(`worker: ${answer}`);
console.log(`page: after the worker, SPI 40 pending ${m.irq(40).pending}, active ${m.irq(40).active}`);
