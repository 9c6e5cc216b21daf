// The playground is a static site: `vite build` writes dist/ (an HTML file,
// one script, one stylesheet; the examples are inlined), which any static
// file server can serve from any path.
//
// The @vgic packages resolve as an npm user gets them: through their
// "exports" with the browser's conditions, so to their built dist/ (nx builds
// them first), never to their TypeScript source.
import { defineConfig, type UserConfig } from 'vite';

const config: UserConfig = defineConfig({
  base: './',
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
