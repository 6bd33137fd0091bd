// Regenerates the configuration reference in README.md from the config schema.
import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigReference } from '../src/core/config/reference.ts';

const readme = new URL('../README.md', import.meta.url);
writeFileSync(readme, withConfigReference(readFileSync(readme, 'utf8')));
