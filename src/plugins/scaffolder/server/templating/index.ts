/** `${{ }}` templating for the scaffolder: a sandboxed nunjucks with Backstage's filters. */
export {
  SecureTemplater,
  TemplatingError,
  type SecureTemplaterOptions,
  type SkeletonOptions,
} from './secure-templater.ts';
export {
  createTemplateRenderer,
  type RenderOptions,
  type TemplateRenderer,
  type TemplateRendererOptions,
  type TemplateRendererService,
} from './renderer.ts';
export { TemplateLimitError, type RenderLimits } from './limits.ts';
export {
  parseRepoUrl,
  integrationForHost,
  integrationTypeForHost,
  type ParsedRepoUrl,
  type ScmIntegrationHost,
  type ScmIntegrationsConfig,
  type ScmIntegrationType,
} from './repo-url.ts';
export { BACKSTAGE_FILTER_DOCS, type TemplateFilter, type TemplateFilterDoc } from './filters.ts';
