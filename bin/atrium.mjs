#!/usr/bin/env node
// Atrium runs its compiled server (dist/server, see build.mjs), building it first when it is
// missing or older than its sources, so there is no build step to forget and no TypeScript to
// compile at each start. ATRIUM_SOURCE=1 runs the TypeScript sources through tsx instead.
import module from 'node:module';

const source = process.env.ATRIUM_SOURCE;
if (source && source !== '0' && source !== 'false') {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
} else {
  // Stack traces name the .ts files and lines.
  process.setSourceMapsEnabled(true);
  // Node 22.1+ keeps V8's compiled code between starts (a no-op on Node 20).
  module.enableCompileCache?.();
  const { ensureServerBuild } = await import('./build.mjs');
  let main;
  try {
    main = await ensureServerBuild();
  } catch (error) {
    process.stderr.write(`atrium: building the server failed: ${error.message}\n`);
    process.exit(1);
  }
  await import(main);
}
