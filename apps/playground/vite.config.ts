// The playground is a static site: `vite build` writes dist/ (an HTML file,
// one script, one stylesheet; the examples are inlined), which any static
// file server can serve from any path.
//
// The @vgic packages resolve as an npm user gets them: through their
// "exports" with the browser's conditions, so to their built dist/ (nx builds
// them first), never to their TypeScript source.
import { defineConfig, type Plugin, type UserConfig } from 'vite';

/**
 * A service worker that keeps the site's few files, so the page opens again
 * with no network once it has been loaded: sw.js, written at build time with
 * the names of the files just built (hashed by content: a new build is a new
 * cache, and the old one is dropped when the new worker takes over).
 */
function offline(): Plugin {
  return {
    name: 'vgic-playground-offline',
    apply: 'build',
    generateBundle(_options, bundle) {
      const files = ['./', './index.html', ...Object.keys(bundle).map((f) => `./${f}`)].sort();
      const cache = `vgic-playground-${hash(files.join(' '))}`;
      const source = `// The playground's files, kept for opening the page offline (written by vite.config.ts).
const CACHE = ${JSON.stringify(cache)};
const FILES = ${JSON.stringify(files)};
self.addEventListener('install', (e) => e.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => self.skipWaiting())));
self.addEventListener('activate', (e) =>
  e.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k)))).then(() => self.clients.claim())),
);
self.addEventListener('fetch', (e) => {
  if (e.request.method !== 'GET') return;
  e.respondWith(caches.open(CACHE).then((c) => c.match(e.request, { ignoreSearch: true })).then((hit) => hit ?? fetch(e.request)));
});
`;
      this.emitFile({ type: 'asset', fileName: 'sw.js', source });
    },
  };
}

/** FNV-1a of a string, in base 36: a cache name that changes with the file list. */
function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

const config: UserConfig = defineConfig({
  base: './',
  plugins: [offline()],
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    target: 'es2022',
    // Source maps stay out of the site a visitor downloads.
    sourcemap: false,
  },
  // The examples are read from the repository's examples/ at build time.
  server: { fs: { allow: ['../..'] } },
});

export default config;
