/**
 * Bundling a package entry for a browser, as a user's bundler would: esbuild
 * with `platform: 'browser'`, which refuses Node built-ins (`node:fs`,
 * `worker_threads`, ...). The packages' tests use it to keep their main
 * entries free of them; tools/packaging does the same from the packed
 * tarballs.
 */
import { fileURLToPath } from "node:url";
import { build, type Message } from "esbuild";

export interface BrowserBundle {
  /** esbuild's errors, as "file:line: text" lines; empty when the bundle was made. */
  errors: string[];
  /** The bundle's size in bytes (minified), 0 when it failed. */
  bytes: number;
}

function describe(m: Message): string {
  const at = m.location ? `${m.location.file}:${m.location.line}: ` : "";
  return `${at}${m.text}`;
}

/** Bundle `entry` (a file) for the browser, resolving workspace packages to their source. */
export async function bundleForBrowser(entry: string, conditions: string[] = ["@vgic/source"]): Promise<BrowserBundle> {
  try {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: "browser",
      format: "esm",
      minify: true,
      write: false,
      logLevel: "silent",
      conditions,
    });
    return { errors: [], bytes: result.outputFiles.reduce((n, f) => n + f.contents.length, 0) };
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors;
    return { errors: errors ? errors.map(describe) : [String(e)], bytes: 0 };
  }
}

/** The test each package runs on its main entry: it bundles for the browser, with no Node built-in. */
export async function testBrowserEntry(entry: URL): Promise<void> {
  const { expect, it } = await import("vitest");
  it("bundles for the browser with no Node built-in", async () => {
    const bundle = await bundleForBrowser(fileURLToPath(entry));
    expect(bundle.errors).toEqual([]);
    expect(bundle.bytes).toBeGreaterThan(0);
  });
}
