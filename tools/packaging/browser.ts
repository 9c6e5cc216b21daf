/**
 * Running bundled scripts in real headless Chromium: Debian's chromium at
 * /usr/bin/chromium (VGIC_CHROMIUM to point elsewhere), driven by
 * playwright-core, which never downloads a browser of its own.
 *
 * Each script runs in its own page, served from 127.0.0.1 either as a plain
 * page (no SharedArrayBuffer: what most pages are) or cross-origin isolated
 * (Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy:
 * require-corp: SharedArrayBuffer and shared WebAssembly memory exist).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env['VGIC_CHROMIUM'] ?? '/usr/bin/chromium';

/** The launch flags that work on a headless CI machine (playwright adds --headless and a fresh profile). */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * console.log as Node prints its arguments, for the values examples print
 * (strings bare, bigints with an n, arrays and plain objects as
 * util.inspect shows small ones), so a page's output can be compared line
 * for line with the same program's output in Node.
 */
const CONSOLE_SHIM = `
(() => {
  const show = (x, nested) => {
    if (typeof x === 'string') return nested ? "'" + x + "'" : x;
    if (typeof x === 'bigint') return x + 'n';
    if (Array.isArray(x)) return x.length === 0 ? '[]' : '[ ' + x.map((y) => show(y, true)).join(', ') + ' ]';
    if (x !== null && typeof x === 'object') {
      const keys = Object.keys(x);
      return keys.length === 0 ? '{}' : '{ ' + keys.map((k) => k + ': ' + show(x[k], true)).join(', ') + ' }';
    }
    return String(x);
  };
  window.__lines = [];
  const log = console.log.bind(console);
  console.log = (...args) => { window.__lines.push(args.map((a) => show(a, false)).join(' ')); log(...args); };
})();
`;

function page(script: string): string {
  return `<!doctype html><meta charset="utf-8"><title>vgic</title>
<script>${CONSOLE_SHIM}</script>
<script type="module">
window.__isolated = self.crossOriginIsolated === true;
import('./${script}').then(() => { window.__done = 'ok'; }, (e) => { window.__done = 'error: ' + (e && e.stack || e); });
</script>`;
}

/** Serve `dir`: /plain/NAME.html and /isolated/NAME.html run NAME.js, the second cross-origin isolated. */
export async function serve(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.url === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const m = /^\/(plain|isolated)\/([\w.-]+)$/.exec(req.url ?? '');
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> =
      m[1] === 'isolated' ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {};
    const name = m[2]!;
    if (name.endsWith('.html')) {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end(page(name.replace(/\.html$/, '.js')));
      return;
    }
    readFile(join(dir, normalize(name))).then(
      (body) => res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((ok) => server.close(() => ok())) };
}

export interface PageRun {
  /** What console.log printed, a line per call. */
  lines: string[];
  /** Uncaught errors and console errors. */
  errors: string[];
  isolated: boolean;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

/** Load one served page and wait until its script has finished (or failed). */
export async function runPage(browser: Browser, url: string, timeoutMs = 30_000): Promise<PageRun> {
  const context = await browser.newContext();
  try {
    const p = await context.newPage();
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
    p.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
    });
    await p.goto(url);
    // These run in the page, where globalThis is its window.
    await p.waitForFunction(() => (globalThis as { __done?: string }).__done !== undefined, undefined, { timeout: timeoutMs });
    const state = await p.evaluate(() => {
      const w = globalThis as unknown as { __done: string; __lines: string[]; __isolated: boolean };
      return { done: w.__done, lines: w.__lines, isolated: w.__isolated };
    });
    if (state.done !== 'ok') errors.push(state.done);
    return { lines: state.lines, errors, isolated: state.isolated };
  } finally {
    await context.close();
  }
}
