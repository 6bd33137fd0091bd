import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const ROOT = resolve(import.meta.dirname, '../..');

/** Builds the portal into `dist/web`, which the server serves on the API's port. */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: resolve(ROOT, 'dist/web'),
    emptyOutDir: true,
    // The server's CSP allows scripts from 'self' only: no inline polyfill script.
    modulePreload: { polyfill: false },
    // ELK's bundled build (~1.6 MB) is one lazy chunk that only the graph tab loads.
    chunkSizeWarningLimit: 2000,
  },
});
