/**
 * The MkDocs-compatible docs build: mkdocs.yml + docs folder → a site of sanitised HTML
 * fragments (see ../../common/index.ts for the layout), without Python or MkDocs.
 */
export { buildSite } from './build-site.ts';
export { hashDocsSource } from './source-hash.ts';
export type { BuildLog, BuildOptions, BuildProblem, BuildResult } from './types.ts';
export { DocsBuildError, formatBuildProblem } from './types.ts';
