/** vCPU 1's thread in the browser check's Web Worker program (see web-worker.ts). */
import type { MachineHandle } from '@vgic/core';
import { attachGicv3, ICC_KEYS } from '@vgic/gicv3';

const scope = globalThis as unknown as {
  onmessage: ((event: { data: MachineHandle }) => void) | null;
  postMessage(message: string): void;
};

scope.onmessage = (event) => {
  const m = attachGicv3(event.data);
  m.enter(1);
  const intid = m.sysregRead32(1, ICC_KEYS.ICC_IAR1_EL1);
  m.sysregWriteWords(1, ICC_KEYS.ICC_EOIR1_EL1, intid, 0);
  m.exit(1);
  scope.postMessage(`vCPU 1 acknowledged INTID ${intid} and EOI'd it, in a Web Worker over the shared state`);
};
