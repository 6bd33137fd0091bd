export type { DocsStorage } from './docs-storage.ts';
export { LocalDocsStorage } from './local-docs-storage.ts';
export { normaliseTriplet, parseTriplet, tripletString } from './triplet.ts';
