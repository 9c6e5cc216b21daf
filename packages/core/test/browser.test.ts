/**
 * The main entry bundles for a browser: it imports no Node built-in
 * (esbuild with platform "browser" refuses them). tools/packaging checks the
 * same from the packed tarball, and runs it in Chromium.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isVgicError, sharedMemorySupported } from '../src/index.js';
import { createToy } from './fixtures/toy-gic.js';

// testBrowserEntry lives outside the packages (tools/) and is not part of this
// package's build or type-check: load it at run time.
const { bundleForBrowser, testBrowserEntry } = (await import(new URL('../../../tools/browser-bundle.ts', import.meta.url).href)) as {
  bundleForBrowser(entry: string): Promise<{ errors: string[]; bytes: number }>;
  testBrowserEntry(entry: URL): Promise<void>;
};

await testBrowserEntry(new URL('../src/index.ts', import.meta.url));

it('keeps what needs Node in @vgic/core/threads, which does not bundle for the browser', async () => {
  const bundle = await bundleForBrowser(new URL('../src/threads/index.ts', import.meta.url).pathname);
  expect(bundle.errors.join('\n')).toMatch(/worker_threads/);
});

describe('without SharedArrayBuffer, as on a browser page that is not cross-origin isolated', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('runs the single-threaded engine, and refuses shared state with a reason', () => {
    vi.stubGlobal('SharedArrayBuffer', undefined);
    expect(sharedMemorySupported()).toBe(false);
    const m = createToy({ vcpus: 1 });
    expect(m.vgic.shared).toBe(false);
    let error: unknown;
    try {
      createToy({ vcpus: 1, shared: true });
    } catch (e) {
      error = e;
    }
    expect(isVgicError(error, 'INVALID_CONFIG')).toBe(true);
    expect((error as Error).message).toMatch(/cross-origin isolated/);
    expect(() => createToy({ vcpus: 1, memory: 'wasm' })).toThrow(/cross-origin isolated/);
  });
});
