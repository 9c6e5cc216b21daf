/**
 * The built site (dist/) served from 127.0.0.1 as any static file server
 * would, and headless Chromium to open it: Debian's chromium at
 * /usr/bin/chromium (VGIC_CHROMIUM to point elsewhere), driven by
 * playwright-core, which never downloads a browser of its own.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const DIST: string = join(import.meta.dirname, '..', 'dist');
export const CHROMIUM: string = process.env['VGIC_CHROMIUM'] ?? '/usr/bin/chromium';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export interface Site {
  url: string;
  /** Every path asked for, in order. */
  requests: string[];
  close(): Promise<void>;
}

export async function serveSite(dir: string = DIST): Promise<Site> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const file = join(dir, normalize(path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) => res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, requests, close: () => new Promise((ok) => server.close(() => ok())) };
}

/** Why the browser tests cannot run here, or null when they can. */
export function missing(): string | null {
  if (!existsSync(join(DIST, 'index.html'))) return `${DIST} has no index.html: build the site first (npm run build)`;
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM}: bash tools/packaging/ensure-chromium.sh installs Debian's, or set VGIC_CHROMIUM`;
  return null;
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
