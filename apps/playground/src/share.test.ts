import { describe, expect, it } from 'vitest';
import { decodeShared, encodeShared } from './share.js';

describe('shared links', () => {
  it('carry an example by name, and the step', async () => {
    const hash = await encodeShared({ example: '02-first-interrupt-v3', step: 10 });
    expect(hash).toBe('#ex=02-first-interrupt-v3&step=10');
    expect(await decodeShared(hash)).toEqual({ example: '02-first-interrupt-v3', step: 10 });
  });

  it('carry any text exactly, compressed', async () => {
    const text = `# ünïcode — and every byte\ngic: v3\nvcpus: 1\nsteps:\n${'  - read: ICC_IAR1_EL1\n'.repeat(400)}`;
    const hash = await encodeShared({ text, step: 7 });
    expect(hash).toMatch(/^#text=[A-Za-z0-9_-]+&step=7$/);
    expect(hash.length).toBeLessThan(text.length / 4);
    expect(await decodeShared(hash)).toEqual({ text, step: 7 });
  });

  it('read a fragment that carries nothing, or garbage, as nothing', async () => {
    expect(await decodeShared('')).toBeNull();
    expect(await decodeShared('#step=3')).toBeNull();
    expect(await decodeShared('#text=not-deflate&step=3')).toBeNull();
    expect(await decodeShared('#ex=01-first-interrupt-v2&step=-4')).toEqual({ example: '01-first-interrupt-v2', step: 0 });
  });
});
