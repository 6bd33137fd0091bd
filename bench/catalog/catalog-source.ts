/**
 * Where a benchmark's entities come from: the generator (generate.ts, cached under
 * bench/.data) or an external folder of YAML files (`--catalog-dir`, the output of any
 * generator, so Backstage and Atrium can be fed identical files). The runner works on a copy
 * in its temp dir, which it may rewrite (re-read figures) without touching the source.
 */
import { appendFile, copyFile, cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as jsYaml from 'js-yaml';
import { generateDocs } from '../techdocs/generate.ts';
import { ENTITIES_PER_FILE, generateCatalog, Prng, readManifest, ROOT_FILE } from './generate.ts';
import { log, now, round } from './harness.ts';

export interface EntityName {
  kind: string;
  namespace: string;
  name: string;
}

export interface CatalogSpec {
  source: 'generated' | 'external';
  /** The folder the entities come from (never modified). */
  dir: string;
  /** What is registered: the root catalog-info.yaml, or every `**\/*.yaml` (a glob). */
  register: 'root' | 'glob';
  /** The registered target, relative to the catalog folder. */
  target: string;
  files: number;
  bytesMB: number;
  /** Distinct entities in the files (kind:namespace/name). */
  entities: number;
  /** By lower-case kind. */
  counts: Record<string, number>;
  /** Entities per file (relative path), in file order: what a rewrite of a fraction touches. */
  perFile: Array<[string, number]>;
  /** Entities to ask by name (Components when there are some). */
  sample: EntityName[];
  /** Words used in entity names, for full-text queries (5-letter prefixes are asked). */
  fullTextTerms: string[];
  /** YAML documents that did not parse or are not entities (external folders only). */
  skippedDocuments: number;
  generator?: {
    n: number;
    seed: number;
    refs: number;
    danglingRefs: number;
    generatedMs?: number;
  };
}

/** The generated catalog for n/seed (cached under dataDir, generated when missing). */
export function generatedCatalog(n: number, seed: number, dataDir: string): CatalogSpec {
  const dir = join(dataDir, `n${n}-seed${seed}`);
  let manifest = readManifest(dir, n, seed);
  let generatedMs: number | undefined;
  if (manifest) log(`n=${n}: reusing generated data in ${dir}`);
  else {
    log(`n=${n}: generating into ${dir}`);
    const started = now();
    mkdirSync(dir, { recursive: true });
    manifest = generateCatalog({ n, seed, dir });
    generatedMs = round(now() - started, 0);
  }
  const width = Math.max(4, String(manifest.files).length);
  const perFile: Array<[string, number]> = [[ROOT_FILE, 1]];
  for (let f = 0; f < manifest.files; f++) {
    const count = Math.min(ENTITIES_PER_FILE, manifest.n - f * ENTITIES_PER_FILE);
    perFile.push([`entities/part-${String(f + 1).padStart(width, '0')}.yaml`, count]);
  }
  return {
    source: 'generated',
    dir,
    register: 'root',
    target: ROOT_FILE,
    files: manifest.files + 1,
    bytesMB: round(manifest.bytes / 1048576, 2),
    entities: manifest.n + 1,
    counts: { ...manifest.counts, location: 1 },
    perFile,
    sample: manifest.componentNames.map((name) => ({
      kind: 'component',
      namespace: 'default',
      name,
    })),
    fullTextTerms: manifest.fullTextTerms,
    skippedDocuments: 0,
    generator: {
      n: manifest.n,
      seed,
      refs: manifest.refs,
      danglingRefs: manifest.danglingRefs,
      generatedMs,
    },
  };
}

async function yamlFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const p = join(dir, entry.name);
      if (entry.isDirectory()) await visit(p);
      else if (entry.isFile() && entry.name.endsWith('.yaml')) out.push(relative(root, p));
    }
  };
  await visit(root);
  return out.sort();
}

interface ParsedEntity {
  kind: string;
  metadata: { name: string; namespace?: string; description?: string };
}
const isEntity = (d: unknown): d is ParsedEntity => {
  const e = d as ParsedEntity | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.kind === 'string' &&
    typeof e.metadata === 'object' &&
    e.metadata !== null &&
    typeof e.metadata.name === 'string'
  );
};

/**
 * An external folder of YAML files: registers `<dir>/catalog-info.yaml` when there is one
 * (which should reference the rest, as Backstage catalogs do), else the glob `**\/*.yaml`.
 * Parses every `.yaml` file (js-yaml) to count the entities and sample names and words.
 */
export async function externalCatalog(dirArg: string, seed: number): Promise<CatalogSpec> {
  const dir = resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new Error(`--catalog-dir ${dir} is not a folder`);
  const started = now();
  const files = await yamlFiles(dir);
  if (!files.length) throw new Error(`--catalog-dir ${dir} has no .yaml files`);
  const register = files.includes(ROOT_FILE) ? 'root' : 'glob';
  const refs = new Set<string>();
  const counts: Record<string, number> = {};
  const perFile: Array<[string, number]> = [];
  const names: EntityName[] = [];
  const words = new Map<string, number>();
  let bytes = 0;
  let skipped = 0;
  for (const rel of files) {
    const text = await readFile(join(dir, rel), 'utf8');
    bytes += Buffer.byteLength(text);
    let docs: unknown[];
    try {
      docs = jsYaml.loadAll(text) as unknown[];
    } catch {
      skipped++;
      perFile.push([rel, 0]);
      continue;
    }
    let inFile = 0;
    for (const d of docs) {
      if (!isEntity(d)) {
        if (d !== null && d !== undefined) skipped++;
        continue;
      }
      const kind = d.kind.toLowerCase();
      const namespace = d.metadata.namespace ?? 'default';
      const ref = `${kind}:${namespace.toLowerCase()}/${d.metadata.name.toLowerCase()}`;
      if (refs.has(ref)) continue;
      refs.add(ref);
      inFile++;
      counts[kind] = (counts[kind] ?? 0) + 1;
      names.push({ kind, namespace, name: d.metadata.name });
      for (const w of d.metadata.name.toLowerCase().split(/[^a-z]+/))
        if (w.length >= 5) words.set(w, (words.get(w) ?? 0) + 1);
    }
    perFile.push([rel, inFile]);
  }
  const components = names.filter((n) => n.kind === 'component');
  const pool = components.length ? components : names;
  const rng = new Prng(seed);
  const sample = Array.from(
    { length: Math.min(5000, pool.length) },
    () => pool[rng.int(pool.length)]!,
  );
  const fullTextTerms = [...words.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 40)
    .map(([w]) => w);
  log(
    `--catalog-dir ${dir}: ${files.length} .yaml files, ${refs.size} entities, registering ${register === 'root' ? ROOT_FILE : '**/*.yaml'} (parsed in ${round(now() - started, 0)} ms)`,
  );
  if (!sample.length) throw new Error(`--catalog-dir ${dir}: no entities found`);
  return {
    source: 'external',
    dir,
    register,
    target: register === 'root' ? ROOT_FILE : '**/*.yaml',
    files: files.length,
    bytesMB: round(bytes / 1048576, 2),
    entities: refs.size,
    counts,
    perFile,
    sample,
    fullTextTerms: fullTextTerms.length ? fullTextTerms : ['a'],
    skippedDocuments: skipped,
  };
}

/** Copies the catalog into `dest` (the copy the server reads and the runner rewrites). */
export async function copyCatalog(spec: CatalogSpec, dest: string): Promise<void> {
  await cp(spec.dir, dest, {
    recursive: true,
    filter: (src) => !src.endsWith('/manifest.json') && !/\/(node_modules|\.git)(\/|$)/.test(src),
  });
}

/**
 * `k` small docs sites (bench/techdocs/generate.ts, `pages` pages each) and a catalog file of
 * `k` Components whose `backstage.io/techdocs-ref` is `dir:./site-NN`, so that the server's
 * docs build on start has local folders to build. Registered as a second config location,
 * beside the catalog under test (whose files stay as they are).
 */
export async function writeDocsSites(
  dir: string,
  k: number,
  pages: number,
): Promise<{ target: string; entities: EntityName[] }> {
  await mkdir(dir, { recursive: true });
  const entities: EntityName[] = [];
  const docs: string[] = [];
  for (let i = 1; i <= k; i++) {
    const id = String(i).padStart(3, '0');
    generateDocs(join(dir, `site-${id}`), pages, i);
    const name = `bench-docs-site-${id}`;
    entities.push({ kind: 'component', namespace: 'default', name });
    docs.push(
      jsYaml.dump({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name,
          description: `Benchmark docs site ${id} (${pages} pages).`,
          annotations: { 'backstage.io/techdocs-ref': `dir:./site-${id}` },
        },
        spec: { type: 'documentation', lifecycle: 'production', owner: 'group:default/bench-docs' },
      }),
    );
  }
  const target = join(dir, ROOT_FILE);
  await writeFile(target, docs.join('---\n'));
  return { target, entities };
}

/**
 * Changes every docs site's home page (one appended line), so that the next start's docs
 * build has every site to rebuild: the docs start-up phase of a restart.
 */
export async function touchDocsSites(dir: string, sites: EntityName[], marker: string) {
  for (const s of sites) {
    const id = s.name.replace(/^bench-docs-site-/, '');
    await appendFile(join(dir, `site-${id}`, 'docs', 'index.md'), `\nRevision ${marker}.\n`);
  }
}

export interface Rewrite {
  /** Folder with the rewritten files (same relative paths as the catalog copy). */
  staging: string;
  files: string[];
  changed: number;
  total: number;
  /** A changed entity and the text its description now contains. */
  check: { entity: EntityName; marker: string };
  prepareMs: number;
}

/**
 * Writes into `staging` a version of the catalog copy in which the first `fraction` of the
 * entities (in file order; the registered root file is left alone) have `marker` appended to
 * their description. Apply it with {@link applyRewrite}.
 */
export async function prepareRewrite(
  spec: CatalogSpec,
  copyDir: string,
  staging: string,
  fraction: number,
  marker: string,
): Promise<Rewrite> {
  const started = now();
  const candidates = spec.perFile.filter(
    ([rel]) => !(spec.register === 'root' && rel === spec.target),
  );
  const total = spec.entities;
  const wanted = Math.ceil(total * fraction);
  let changed = 0;
  const files: string[] = [];
  let check: Rewrite['check'] | undefined;
  for (const [rel, count] of candidates) {
    if (changed >= wanted) break;
    if (!count) continue;
    const docs = jsYaml.loadAll(await readFile(join(copyDir, rel), 'utf8')) as unknown[];
    const seen = new Set<string>();
    for (const d of docs) {
      if (changed >= wanted) break;
      if (!isEntity(d)) continue;
      const key = `${d.kind}:${d.metadata.namespace ?? 'default'}/${d.metadata.name}`.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      d.metadata.description = `${d.metadata.description ? `${d.metadata.description} ` : ''}[${marker}]`;
      changed++;
      check ??= {
        entity: {
          kind: d.kind,
          namespace: d.metadata.namespace ?? 'default',
          name: d.metadata.name,
        },
        marker: `[${marker}]`,
      };
    }
    const out = join(staging, rel);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(
      out,
      docs.map((d) => jsYaml.dump(d, { noRefs: true, lineWidth: -1 })).join('---\n'),
    );
    files.push(rel);
    // Let the runner's timers run between files.
    await new Promise((r) => setImmediate(r));
  }
  if (!check) throw new Error('prepareRewrite: no entity to change');
  return { staging, files, changed, total, check, prepareMs: round(now() - started, 0) };
}

/** Copies the rewritten files over the catalog copy; returns ms taken. */
export async function applyRewrite(rewrite: Rewrite, copyDir: string): Promise<number> {
  const started = now();
  for (const rel of rewrite.files) await copyFile(join(rewrite.staging, rel), join(copyDir, rel));
  return round(now() - started, 0);
}
