/**
 * The main entry bundles for a browser: it imports no Node built-in
 * (esbuild with platform "browser" refuses them). tools/packaging checks the
 * same from the packed tarball, and runs it in Chromium.
 */
// testBrowserEntry lives outside the packages (tools/) and is not part of this
// package's build or type-check: load it at run time.
const { testBrowserEntry } = (await import(new URL('../../../tools/browser-bundle.ts', import.meta.url).href)) as {
  testBrowserEntry(entry: URL): Promise<void>;
};

await testBrowserEntry(new URL('../src/index.ts', import.meta.url));
