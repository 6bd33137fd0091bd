import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// Tests import the plugin's sources, and the two API names as Atrium's own files (in a
// running Atrium they come from the host instead; see README.md).
export default defineConfig({
  resolve: {
    alias: {
      '@atrium/plugin-api': resolve(import.meta.dirname, '../../../src/plugins/public-api.ts'),
      '@atrium/web-plugin-api': resolve(import.meta.dirname, '../../../src/web/plugin-api.ts'),
    },
  },
  test: { include: ['test/**/*.test.ts'] },
});
