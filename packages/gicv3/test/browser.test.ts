/**
 * The main entry bundles for a browser: it imports no Node built-in
 * (esbuild with platform "browser" refuses them). tools/packaging checks the
 * same from the packed tarball, and runs it in Chromium.
 */
import { expect, it } from 'vitest';

// The helper lives outside the packages (tools/) and is not part of this
// package's build or type-check: load it at run time.
const { bundleForBrowser } = (await import(new URL('../../../tools/browser-bundle.ts', import.meta.url).href)) as {
  bundleForBrowser(entry: string): Promise<{ errors: string[]; bytes: number }>;
};

it('bundles for the browser with no Node built-in', async () => {
  const bundle = await bundleForBrowser(new URL('../src/index.ts', import.meta.url).pathname);
  expect(bundle.errors).toEqual([]);
  expect(bundle.bytes).toBeGreaterThan(0);
});
