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
    // Mermaid's lazy chunks are large; only pages that draw a diagram load them.
    chunkSizeWarningLimit: 2000,
  },
});
