/**
 * Seeded generator of a realistic Backstage catalog for benchmarks.
 *
 *   npx tsx bench/catalog/generate.ts --n 10000 --seed 1 --out /tmp/catalog-10k
 *
 * Writes N entities (~100 per multi-document YAML file under `entities/`), a root
 * `catalog-info.yaml` Location entity whose `spec.targets` lists every file (relative paths),
 * and `manifest.json` (counts, a sample of names, full-text terms) for the runner.
 * The same `n` and `seed` always produce byte-identical files (own PRNG, no clock).
 *
 * Mix: 2% groups (one tree: parent/children/members consistent), 10% users (memberOf),
 * 3% domains, 7% systems (domain, owner), 18% APIs (openapi, inline definition),
 * 10% resources, the rest (~50%) components (dependsOn with explicit kinds, providesApis,
 * consumesApis). About 1% of the refs in owner/system/domain/subdomainOf/dependsOn/
 * providesApis/consumesApis/memberOf point at entities that do not exist (dangling).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';

/** Bump when the output changes, so cached data under bench/.data is regenerated. */
export const GENERATOR_VERSION = 1;
export const ENTITIES_PER_FILE = 100;
export const ROOT_FILE = 'catalog-info.yaml';
export const ROOT_LOCATION_NAME = 'bench-catalog-root';

/** sfc32 seeded through splitmix32: small, fast, good enough, identical on every platform. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    let s = seed >>> 0;
    const split = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    for (let i = 0; i < 15; i++) this.next();
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    let t = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    t = (t + this.d) | 0;
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Integer in [lo, hi] inclusive. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** Picks by weight: `[[value, weight], …]`. */
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let x = this.next() * total;
    for (const [value, w] of items) {
      x -= w;
      if (x < 0) return value;
    }
    return items[items.length - 1]![0];
  }
  /** Up to k distinct items (fewer if the list is shorter). */
  sample<T>(items: readonly T[], k: number): T[] {
    const n = Math.min(k, items.length);
    const chosen = new Set<number>();
    while (chosen.size < n) chosen.add(this.int(items.length));
    return [...chosen].map((i) => items[i]!);
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

const WORDS = [
  'account',
  'audit',
  'billing',
  'booking',
  'cart',
  'catalog',
  'checkout',
  'claims',
  'content',
  'coupon',
  'customer',
  'data',
  'delivery',
  'device',
  'document',
  'email',
  'events',
  'export',
  'feature',
  'feed',
  'fraud',
  'gateway',
  'geo',
  'identity',
  'import',
  'inventory',
  'invoice',
  'ledger',
  'loyalty',
  'media',
  'menu',
  'metrics',
  'notify',
  'offer',
  'order',
  'partner',
  'payment',
  'payout',
  'pricing',
  'profile',
  'promo',
  'quote',
  'rating',
  'refund',
  'report',
  'review',
  'risk',
  'route',
  'search',
  'session',
  'shipping',
  'signup',
  'sku',
  'stock',
  'store',
  'subscription',
  'supply',
  'survey',
  'tax',
  'ticket',
  'token',
  'tracking',
  'transfer',
  'user',
  'vendor',
  'wallet',
  'warehouse',
  'webhook',
  'wishlist',
  'zone',
];
const QUALIFIERS = [
  'core',
  'edge',
  'sync',
  'batch',
  'stream',
  'admin',
  'public',
  'internal',
  'legacy',
  'next',
  'lite',
  'hub',
  'engine',
  'bridge',
  'worker',
  'portal',
  'proxy',
  'router',
  'store',
  'view',
];
const FIRST = [
  'alex',
  'anna',
  'ben',
  'carla',
  'chen',
  'dana',
  'diego',
  'elif',
  'emma',
  'farah',
  'felix',
  'grace',
  'hana',
  'ivan',
  'jon',
  'kai',
  'lena',
  'liam',
  'maya',
  'mo',
  'nadia',
  'noah',
  'olga',
  'omar',
  'priya',
  'quinn',
  'rosa',
  'sam',
  'sara',
  'tom',
  'uma',
  'vera',
  'wei',
  'yusuf',
  'zoe',
];
const LAST = [
  'adams',
  'berg',
  'costa',
  'dubois',
  'evans',
  'fischer',
  'garcia',
  'haas',
  'ito',
  'jensen',
  'kim',
  'larsen',
  'lopez',
  'meyer',
  'novak',
  'okafor',
  'patel',
  'quist',
  'rossi',
  'silva',
  'tanaka',
  'ueda',
  'varga',
  'weber',
  'xu',
  'yilmaz',
  'zhang',
];
const TAGS = [
  'java',
  'kotlin',
  'go',
  'python',
  'typescript',
  'rust',
  'c++',
  'c#',
  'lang:java',
  'lang:go',
  'grpc',
  'rest',
  'kafka',
  'postgres',
  'redis',
  'tier-1',
  'tier-2',
  'tier-3',
  'pci',
  'gdpr',
  'internal',
  'public',
  'k8s',
  'lambda',
  'frontend',
  'backend',
  'mobile',
  'batch',
];
const RESOURCE_TYPES = [
  ['database', 'db'],
  ['s3-bucket', 'bucket'],
  ['queue', 'queue'],
  ['cache', 'cache'],
  ['topic', 'topic'],
] as const;
const LIFECYCLES = [
  ['production', 60],
  ['experimental', 25],
  ['deprecated', 15],
] as const;
/** A prefix no real entity name uses, so dangling refs never resolve by accident. */
const DANGLING_PREFIX = 'missing-';

export interface KindCounts {
  group: number;
  user: number;
  domain: number;
  system: number;
  component: number;
  api: number;
  resource: number;
}

export interface Manifest {
  generatorVersion: number;
  n: number;
  seed: number;
  counts: KindCounts;
  files: number;
  rootFile: string;
  rootLocationName: string;
  refs: number;
  danglingRefs: number;
  bytes: number;
  /** Every component name (the runner picks random ones for by-name lookups). */
  componentNames: string[];
  /** Substrings that occur in some entity names (full-text benchmark terms). */
  fullTextTerms: string[];
}

export function kindCounts(n: number): KindCounts {
  if (!Number.isInteger(n) || n < 10) throw new Error(`n must be an integer >= 10 (got ${n})`);
  const part = (f: number) => Math.max(1, Math.round(n * f));
  const c = {
    group: part(0.02),
    user: part(0.1),
    domain: part(0.03),
    system: part(0.07),
    api: part(0.18),
    resource: part(0.1),
  };
  const component = n - Object.values(c).reduce((s, v) => s + v, 0);
  if (component < 1) throw new Error(`n=${n} is too small`);
  return { ...c, component };
}

type Doc = Record<string, unknown>;

const pad = (i: number, width: number) => String(i).padStart(width, '0');

function title(name: string): string {
  return name
    .replace(/-\d+$/, '')
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

function openapiDefinition(rng: Prng, name: string, noun: string): string {
  const version = `${rng.range(1, 4)}.${rng.range(0, 20)}.${rng.range(0, 9)}`;
  return [
    'openapi: 3.0.3',
    'info:',
    `  title: ${title(name)}`,
    `  version: ${version}`,
    `  description: Manages ${noun} records.`,
    'paths:',
    `  /${noun}s:`,
    '    get:',
    `      summary: List ${noun}s`,
    '      parameters:',
    '        - { name: limit, in: query, schema: { type: integer } }',
    "      responses: { '200': { description: OK } }",
    `  /${noun}s/{id}:`,
    '    get:',
    `      summary: Get one ${noun}`,
    '      parameters:',
    '        - { name: id, in: path, required: true, schema: { type: string } }',
    "      responses: { '200': { description: OK }, '404': { description: Not found } }",
    '',
  ].join('\n');
}

/** Builds the entities in memory (no I/O). Exposed for tests and the runner. */
export function buildCatalog(n: number, seed: number) {
  const rng = new Prng(seed * 1_000_003 + n);
  const counts = kindCounts(n);
  const width = String(n).length;
  let refs = 0;
  let dangling = 0;
  /** A ref to an existing entity, or (1%) to one that does not exist. */
  const ref = (existing: string, danglingKindPrefix = ''): string => {
    refs++;
    if (rng.chance(0.01)) {
      dangling++;
      return `${danglingKindPrefix}${DANGLING_PREFIX}${rng.pick(WORDS)}-${pad(dangling, width)}`;
    }
    return existing;
  };

  // Names first, so every ref can point anywhere.
  const groupNames: string[] = [];
  for (let i = 0; i < counts.group; i++) {
    groupNames.push(i === 0 ? 'acme' : `team-${rng.pick(WORDS)}-${pad(i, width)}`);
  }
  const userNames: string[] = [];
  for (let i = 0; i < counts.user; i++)
    userNames.push(`${rng.pick(FIRST)}-${rng.pick(LAST)}-${pad(i, width)}`);
  const domainNouns: string[] = [];
  const domainNames: string[] = [];
  for (let i = 0; i < counts.domain; i++) {
    domainNouns.push(rng.pick(WORDS));
    domainNames.push(`${domainNouns[i]}-domain-${pad(i, width)}`);
  }
  const systemNouns: string[] = [];
  const systemNames: string[] = [];
  for (let i = 0; i < counts.system; i++) {
    systemNouns.push(rng.pick(WORDS));
    systemNames.push(`${systemNouns[i]}-${rng.pick(QUALIFIERS)}-system-${pad(i, width)}`);
  }
  const apiNouns: string[] = [];
  const apiNames: string[] = [];
  for (let i = 0; i < counts.api; i++) {
    apiNouns.push(rng.pick(WORDS));
    apiNames.push(`${apiNouns[i]}-${rng.pick(QUALIFIERS)}-api-${pad(i, width)}`);
  }
  const resourceTypes: Array<(typeof RESOURCE_TYPES)[number]> = [];
  const resourceNames: string[] = [];
  for (let i = 0; i < counts.resource; i++) {
    resourceTypes.push(rng.pick(RESOURCE_TYPES));
    resourceNames.push(`${rng.pick(WORDS)}-${resourceTypes[i]![1]}-${pad(i, width)}`);
  }
  const componentTypes: string[] = [];
  const componentNames: string[] = [];
  for (let i = 0; i < counts.component; i++) {
    const type = rng.weighted([
      ['service', 55],
      ['website', 20],
      ['library', 25],
    ] as const);
    componentTypes.push(type);
    const suffix = type === 'service' ? 'service' : type === 'website' ? 'web' : 'lib';
    componentNames.push(`${rng.pick(WORDS)}-${rng.pick(QUALIFIERS)}-${suffix}-${pad(i, width)}`);
  }

  const owner = (): string => {
    const kind = rng.weighted([
      ['bare', 70],
      ['group', 20],
      ['user', 10],
    ] as const);
    if (kind === 'user') return ref(`user:${rng.pick(userNames)}`, 'user:');
    if (kind === 'group') return ref(`group:default/${rng.pick(groupNames)}`, 'group:');
    return ref(rng.pick(groupNames));
  };

  const docs: Doc[] = [];
  const entity = (kind: string, metadata: Doc, spec: Doc): Doc => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind,
    metadata,
    spec,
  });

  // Groups: one tree rooted at group 0. Parent drawn from the first third of earlier
  // groups, so the tree is a few levels deep with fan-out that varies.
  const parentOf: number[] = [-1];
  const depth: number[] = [0];
  const children: string[][] = groupNames.map(() => []);
  for (let i = 1; i < counts.group; i++) {
    const p = rng.int(Math.ceil(i / 3));
    parentOf.push(p);
    depth.push(depth[p]! + 1);
    children[p]!.push(groupNames[i]!);
  }
  // Users: member of 1-2 groups (dangling memberOf refs are left out of the groups' members).
  const members: string[][] = groupNames.map(() => []);
  const userDocs: Doc[] = [];
  for (let i = 0; i < counts.user; i++) {
    const name = userNames[i]!;
    const groups = [
      ...new Set([rng.int(counts.group), ...(rng.chance(0.2) ? [rng.int(counts.group)] : [])]),
    ];
    const memberOf: string[] = [];
    for (const g of groups) {
      const r = ref(groupNames[g]!);
      memberOf.push(r);
      if (r === groupNames[g]) members[g]!.push(name);
    }
    const [first, last] = name.split('-');
    userDocs.push(
      entity(
        'User',
        { name },
        {
          profile: {
            displayName: `${title(first!)} ${title(last!)}`,
            email: `${first}.${last}.${i}@example.com`,
          },
          memberOf,
        },
      ),
    );
  }
  for (let i = 0; i < counts.group; i++) {
    const name = groupNames[i]!;
    const type = ['root', 'business-unit', 'product-area'][depth[i]!] ?? 'team';
    const spec: Doc = {
      type,
      profile: { displayName: title(name), email: `${name}@example.com` },
      ...(parentOf[i]! >= 0 ? { parent: groupNames[parentOf[i]!] } : {}),
      children: children[i],
      members: members[i],
    };
    docs.push(entity('Group', { name, description: `The ${title(name)} ${type}.` }, spec));
  }
  docs.push(...userDocs);

  for (let i = 0; i < counts.domain; i++) {
    const name = domainNames[i]!;
    const spec: Doc = { owner: owner() };
    if (i > 0 && rng.chance(0.2)) spec.subdomainOf = ref(domainNames[rng.int(i)]!);
    docs.push(
      entity(
        'Domain',
        { name, title: title(name), description: `Everything about ${domainNouns[i]}.` },
        spec,
      ),
    );
  }

  for (let i = 0; i < counts.system; i++) {
    const name = systemNames[i]!;
    const spec: Doc = { owner: owner() };
    if (rng.chance(0.9)) spec.domain = ref(rng.pick(domainNames));
    docs.push(
      entity(
        'System',
        {
          name,
          description: `The ${systemNouns[i]} system.`,
          tags: rng.sample(TAGS, rng.range(0, 2)),
        },
        spec,
      ),
    );
  }

  for (let i = 0; i < counts.api; i++) {
    const name = apiNames[i]!;
    const spec: Doc = {
      type: 'openapi',
      lifecycle: rng.weighted(LIFECYCLES),
      owner: owner(),
    };
    if (rng.chance(0.8)) spec.system = ref(rng.pick(systemNames));
    spec.definition = openapiDefinition(rng, name, apiNouns[i]!);
    docs.push(
      entity(
        'API',
        { name, description: `${title(name)} (REST).`, tags: rng.sample(TAGS, rng.range(0, 2)) },
        spec,
      ),
    );
  }

  for (let i = 0; i < counts.resource; i++) {
    const name = resourceNames[i]!;
    const spec: Doc = { type: resourceTypes[i]![0], owner: owner() };
    if (rng.chance(0.8)) spec.system = ref(rng.pick(systemNames));
    if (rng.chance(0.2)) spec.dependsOn = [ref(`resource:${rng.pick(resourceNames)}`, 'resource:')];
    docs.push(
      entity('Resource', { name, description: `${title(name)} (${resourceTypes[i]![0]}).` }, spec),
    );
  }

  for (let i = 0; i < counts.component; i++) {
    const name = componentNames[i]!;
    const type = componentTypes[i]!;
    const spec: Doc = { type, lifecycle: rng.weighted(LIFECYCLES), owner: owner() };
    if (rng.chance(0.85)) spec.system = ref(rng.pick(systemNames));
    const deps = new Set<string>();
    const wantDeps = rng.range(0, 4);
    for (let d = 0; d < wantDeps; d++) {
      deps.add(
        rng.chance(0.7)
          ? ref(`component:${rng.pick(componentNames)}`, 'component:')
          : ref(`resource:${rng.pick(resourceNames)}`, 'resource:'),
      );
    }
    deps.delete(`component:${name}`);
    if (deps.size) spec.dependsOn = [...deps];
    const provides = type === 'service' ? rng.range(0, 2) : 0;
    if (provides)
      spec.providesApis = [...new Set(rng.sample(apiNames, provides).map((a) => ref(a)))];
    const consumes = rng.range(0, 3);
    if (consumes) {
      spec.consumesApis = [
        ...new Set(
          rng.sample(apiNames, consumes).map((a) => ref(rng.chance(0.3) ? `api:${a}` : a, 'api:')),
        ),
      ];
    }
    const annotations: Record<string, string> = {
      'github.com/project-slug': `acme/${name}`,
      'backstage.io/source-location': `url:https://github.com/acme/${name}/tree/main/`,
    };
    if (rng.chance(0.3)) annotations['backstage.io/techdocs-ref'] = 'dir:.';
    if (type === 'service' && rng.chance(0.4))
      annotations['pagerduty.com/service-id'] = `P${pad(rng.int(1e6), 6)}`;
    const metadata: Doc = {
      name,
      title: title(name),
      description: `${title(name)}: a ${type} of the ${name.split('-')[0]} area.`,
      annotations,
      tags: rng.sample(TAGS, rng.range(0, 3)),
    };
    if (rng.chance(0.3)) metadata.labels = { tier: String(rng.range(1, 3)) };
    if (rng.chance(0.2)) {
      metadata.links = [
        { url: `https://grafana.example.com/d/${name}`, title: 'Dashboard', icon: 'dashboard' },
      ];
    }
    docs.push(entity('Component', metadata, spec));
  }

  // Drop empty tag lists so documents look like hand-written ones.
  for (const d of docs) {
    const m = d.metadata as Doc;
    if (Array.isArray(m.tags) && !m.tags.length) delete m.tags;
  }

  const terms = [...new Set(componentNames.map((c) => c.split('-')[0]!))].sort().slice(0, 40);
  return { docs: rng.shuffle(docs), counts, refs, dangling, componentNames, fullTextTerms: terms };
}

export interface GenerateOptions {
  n: number;
  seed: number;
  dir: string;
}

/** Writes the catalog into `dir` (wiping its previous `entities/`) and returns the manifest. */
export function generateCatalog({ n, seed, dir }: GenerateOptions): Manifest {
  const out = resolve(dir);
  const built = buildCatalog(n, seed);
  rmSync(join(out, 'entities'), { recursive: true, force: true });
  mkdirSync(join(out, 'entities'), { recursive: true });
  const files: string[] = [];
  const fileCount = Math.ceil(built.docs.length / ENTITIES_PER_FILE);
  const width = Math.max(4, String(fileCount).length);
  let bytes = 0;
  for (let f = 0; f < fileCount; f++) {
    const part = built.docs.slice(f * ENTITIES_PER_FILE, (f + 1) * ENTITIES_PER_FILE);
    const text = part.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
    const rel = `./entities/part-${pad(f + 1, width)}.yaml`;
    writeFileSync(join(out, rel), text);
    bytes += Buffer.byteLength(text);
    files.push(rel);
  }
  const root = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Location',
    metadata: {
      name: ROOT_LOCATION_NAME,
      description: `Generated benchmark catalog: n=${n}, seed=${seed}, ${files.length} files.`,
    },
    spec: { type: 'file', targets: files },
  };
  const rootText = stringify(root, { lineWidth: 0 });
  writeFileSync(join(out, ROOT_FILE), rootText);
  bytes += Buffer.byteLength(rootText);
  const manifest: Manifest = {
    generatorVersion: GENERATOR_VERSION,
    n,
    seed,
    counts: built.counts,
    files: files.length,
    rootFile: join(out, ROOT_FILE),
    rootLocationName: ROOT_LOCATION_NAME,
    refs: built.refs,
    danglingRefs: built.dangling,
    bytes,
    componentNames: built.componentNames,
    fullTextTerms: built.fullTextTerms,
  };
  writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest)}\n`);
  return manifest;
}

/** The manifest in `dir` if it was written by this generator version for this n and seed. */
export function readManifest(dir: string, n: number, seed: number): Manifest | undefined {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    if (m.generatorVersion === GENERATOR_VERSION && m.n === n && m.seed === seed) return m;
  } catch {
    // absent or unreadable: regenerate
  }
  return undefined;
}

function main() {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string' },
    },
  });
  if (!values.out) {
    process.stderr.write(
      'usage: npx tsx bench/catalog/generate.ts --n 10000 --seed 1 --out <dir>\n',
    );
    process.exit(2);
  }
  const started = Date.now();
  const m = generateCatalog({ n: Number(values.n), seed: Number(values.seed), dir: values.out });
  const { componentNames: _c, fullTextTerms: _t, ...summary } = m;
  process.stdout.write(`${JSON.stringify({ ...summary, ms: Date.now() - started }, null, 2)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
