import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node as YamlNode,
  parseDocument,
  Scalar,
  visit,
} from 'yaml';
import { flowNestingBound, YAML_PACKAGE_MAX_FLOW_DEPTH } from '../../../../model/data-limits.ts';
import { extensionName, isRenderedExtension } from './extensions.ts';
import { inspectPath } from './fs-safety.ts';
import type { ProblemSink } from './problems.ts';

/** A `nav:` entry as written: a page or link (target), or a section (children). */
export interface RawNavEntry {
  title?: string;
  target?: string;
  children?: RawNavEntry[];
  line?: number;
}

/** The mkdocs.yml settings the build uses, validated, with defaults filled in. */
export interface MkDocsConfig {
  /** 'mkdocs.yaml' or 'mkdocs.yml', or undefined when generated. */
  configFile?: string;
  siteName: string;
  siteDescription?: string;
  /** Relative to the source folder, normalised, '/'-separated; never leaves it. */
  docsDir: string;
  repoUrl?: string;
  editUri?: string;
  nav?: RawNavEntry[];
  plugins: string[];
  markdownExtensions: string[];
}

export const CONFIG_FILES = ['mkdocs.yaml', 'mkdocs.yml'] as const;

const DEFAULT_SITE_NAME = 'Documentation Site';

/** Plugins whose effect the build provides (or that change nothing in a fragment site). */
const KNOWN_PLUGINS = new Set([
  'techdocs-core',
  'search',
  'material/search',
  'redirects',
  'group',
  'material/group',
  'tags',
  'material/tags',
  'offline',
  'material/offline',
]);

/** Where the config file is, whichever of the two names is used. */
export async function findConfigFile(
  rootReal: string,
  problems?: ProblemSink,
): Promise<string | undefined> {
  const present: string[] = [];
  for (const name of CONFIG_FILES) {
    const entry = await inspectPath(rootReal, path.join(rootReal, name));
    if (entry.kind === 'file') present.push(name);
    else if (entry.kind === 'refused') problems?.error(`${entry.reason}: refused`, name);
  }
  if (present.length > 1) {
    problems?.warn(`both mkdocs.yaml and mkdocs.yml exist; using mkdocs.yaml`, 'mkdocs.yml');
  }
  return present[0];
}

/**
 * Reads mkdocs.yaml / mkdocs.yml. Never throws on user data: a broken file is reported (file
 * and line) and the defaults are used, so the docs folder still builds in folder order.
 * Python-specific tags (`!!python/name:…`, `!relative`) are read as plain values; `!ENV` takes
 * its default and never reads the environment (a docs author must not be able to print the
 * server's secrets into a page).
 */
export async function readMkDocsConfig(
  rootReal: string,
  defaultSiteName: string | undefined,
  problems: ProblemSink,
): Promise<MkDocsConfig> {
  const fallbackName = defaultSiteName?.trim() || DEFAULT_SITE_NAME;
  const config: MkDocsConfig = {
    siteName: fallbackName,
    docsDir: 'docs',
    plugins: ['techdocs-core'],
    markdownExtensions: [],
  };
  const configFile = await findConfigFile(rootReal, problems);
  if (!configFile) {
    problems.info(`No mkdocs.yml found: using site_name '${fallbackName}', docs_dir 'docs'`);
    return config;
  }
  config.configFile = configFile;
  const text = await readFile(path.join(rootReal, configFile), 'utf8');
  if (flowNestingBound(text) > YAML_PACKAGE_MAX_FLOW_DEPTH) {
    problems.error(
      `lists or objects nested more than ${YAML_PACKAGE_MAX_FLOW_DEPTH} levels deep; not read`,
      configFile,
    );
    problems.warn('building the docs folder in folder order with default settings', configFile);
    return config;
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const lineOf = (node: unknown): number | undefined => {
    const range = (node as YamlNode | undefined)?.range;
    return range ? lineCounter.linePos(range[0]).line : undefined;
  };
  if (doc.errors.length > 0) {
    // Errors found at the end of the input point past the last line; name the last line.
    const lastLine = Math.max(1, text.replace(/\r?\n$/, '').split('\n').length);
    for (const error of doc.errors) {
      const found = error.linePos?.[0]?.line ?? lineCounter.linePos(error.pos[0]).line;
      const line = Math.min(found, lastLine);
      problems.error(`invalid YAML: ${error.message.split('\n')[0]}`, configFile, line);
    }
    problems.warn('building the docs folder in folder order with default settings', configFile);
    return config;
  }
  resolveEnvTags(doc);
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) {
    problems.warn('the file is empty: using default settings', configFile);
    return config;
  }
  if (!isMap(root)) {
    problems.error('expected a mapping of settings at the top level', configFile, lineOf(root));
    return config;
  }
  const node = (key: string) => root.get(key, true) as YamlNode | undefined;
  const stringSetting = (key: string): string | undefined => {
    const value = node(key);
    if (value === undefined || (isScalar(value) && value.value === null)) return undefined;
    if (isScalar(value) && ['string', 'number'].includes(typeof value.value)) {
      return String(value.value);
    }
    problems.warn(`${key}: expected a string; ignored`, configFile, lineOf(value));
    return undefined;
  };

  const siteName = stringSetting('site_name');
  if (siteName?.trim()) config.siteName = siteName.trim();
  else problems.warn(`site_name is missing: using '${fallbackName}'`, configFile);
  config.siteDescription = stringSetting('site_description');
  config.repoUrl = stringSetting('repo_url');
  config.editUri = stringSetting('edit_uri');

  const docsDir = stringSetting('docs_dir');
  if (docsDir !== undefined) {
    const normalised = path.posix.normalize(docsDir.replace(/\\/g, '/')).replace(/\/+$/, '');
    if (
      path.posix.isAbsolute(normalised) ||
      /^[a-z]:/i.test(docsDir) ||
      normalised === '..' ||
      normalised.startsWith('../')
    ) {
      problems.error(
        `docs_dir '${docsDir}' must be a relative path inside the folder; using 'docs'`,
        configFile,
        lineOf(node('docs_dir')),
      );
    } else {
      config.docsDir = normalised === '' ? '.' : normalised;
    }
  }

  const plugins = node('plugins');
  if (plugins !== undefined) {
    config.plugins = namedEntries(plugins, 'plugins', configFile, problems, lineOf);
    for (const [index, name] of config.plugins.entries()) {
      if (!KNOWN_PLUGINS.has(name)) {
        const item = isSeq(plugins) ? plugins.items[index] : plugins;
        problems.warn(
          `plugin '${name}' is not supported by Atrium's docs build; ignored`,
          configFile,
          lineOf(item),
        );
      }
    }
  }
  if (!config.plugins.includes('techdocs-core')) config.plugins.push('techdocs-core');

  const extensions = node('markdown_extensions');
  if (extensions !== undefined) {
    config.markdownExtensions = namedEntries(
      extensions,
      'markdown_extensions',
      configFile,
      problems,
      lineOf,
    );
    // Each extension the build does not render is named once, where it is first listed.
    const named = new Set<string>();
    for (const [index, name] of config.markdownExtensions.entries()) {
      if (isRenderedExtension(name) || named.has(extensionName(name))) continue;
      named.add(extensionName(name));
      const item = isSeq(extensions) ? extensions.items[index] : extensions;
      problems.warn(
        `markdown extension '${name}' is not supported by Atrium's docs build; ignored`,
        configFile,
        lineOf(item),
      );
    }
  }

  const nav = node('nav');
  if (nav !== undefined && !(isScalar(nav) && nav.value === null)) {
    if (isSeq(nav)) config.nav = readNav(nav.items, configFile, problems, lineOf);
    else problems.warn('nav: expected a list; ignored', configFile, lineOf(nav));
  }
  return config;
}

/** `!ENV VAR` → null, `!ENV [VAR, …, default]` → default (see readMkDocsConfig). */
function resolveEnvTags(doc: ReturnType<typeof parseDocument>): void {
  visit(doc, (_key, node) => {
    if (!(isScalar(node) || isSeq(node)) || node.tag !== '!ENV') return undefined;
    if (isSeq(node) && node.items.length > 1) {
      const last = node.items[node.items.length - 1];
      const replacement = new Scalar(isScalar(last) ? last.value : null);
      replacement.range = node.range;
      return replacement;
    }
    const replacement = new Scalar(null);
    replacement.range = node.range;
    return replacement;
  });
}

/** Names of a `plugins:` / `markdown_extensions:` list (`- name` or `- name: {options}`). */
function namedEntries(
  node: YamlNode,
  key: string,
  file: string,
  problems: ProblemSink,
  lineOf: (node: unknown) => number | undefined,
): string[] {
  const names: string[] = [];
  if (isMap(node)) {
    for (const pair of node.items) {
      if (isScalar(pair.key)) names.push(String(pair.key.value));
    }
    return names;
  }
  if (!isSeq(node)) {
    problems.warn(`${key}: expected a list; ignored`, file, lineOf(node));
    return names;
  }
  for (const item of node.items) {
    if (isScalar(item) && typeof item.value === 'string') names.push(item.value);
    else if (isMap(item) && item.items.length === 1 && isScalar(item.items[0]?.key)) {
      names.push(String(item.items[0].key.value));
    } else problems.warn(`${key}: unreadable entry; ignored`, file, lineOf(item));
  }
  return names;
}

function readNav(
  items: unknown[],
  file: string,
  problems: ProblemSink,
  lineOf: (node: unknown) => number | undefined,
): RawNavEntry[] {
  const entries: RawNavEntry[] = [];
  for (const item of items) {
    const line = lineOf(item);
    if (isScalar(item) && typeof item.value === 'string') {
      entries.push({ target: item.value, line });
      continue;
    }
    if (isMap(item) && item.items.length === 1) {
      const pair = item.items[0]!;
      const title = isScalar(pair.key) ? String(pair.key.value) : undefined;
      const value = pair.value;
      if (title !== undefined && isScalar(value) && typeof value.value === 'string') {
        entries.push({ title, target: value.value, line });
        continue;
      }
      if (title !== undefined && isSeq(value)) {
        entries.push({ title, children: readNav(value.items, file, problems, lineOf), line });
        continue;
      }
    }
    problems.warn(
      "nav: expected 'Title: page.md', 'page.md' or 'Section: [ … ]'; entry ignored",
      file,
      line,
    );
  }
  return entries;
}
