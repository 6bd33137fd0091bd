/**
 * Generates a docs folder for the docs-build benchmark: `pages` Markdown pages in nested
 * sections (an explicit mkdocs.yml nav three levels deep), each with headings, prose, links to
 * other pages, fenced code in several languages, a table, an admonition, a task list and an
 * image (one shared PNG per section). Deterministic for a seed.
 *
 *   npx tsx bench/techdocs/generate.ts --pages 1000 --out bench/.data/techdocs-1000
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

/** splitmix32: small, seedable, good enough to vary generated text. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

const WORDS =
  'deploy rollback service request queue worker shipment booking payment ledger cache replica index schema migration token latency throughput alert runbook dashboard cluster node pod region failover retry timeout backoff idempotent webhook event consumer producer partition offset'.split(
    ' ',
  );

const CODE: Array<[string, string]> = [
  [
    'typescript',
    'export async function handle(req: Request): Promise<Response> {\n  const body = await req.json();\n  if (!body.id) throw new Error(`missing id`);\n  return Response.json({ ok: true, id: body.id });\n}',
  ],
  [
    'python',
    'def retry(fn, attempts=3):\n    for i in range(attempts):\n        try:\n            return fn()\n        except TimeoutError:\n            time.sleep(2 ** i)\n    raise RuntimeError("gave up")',
  ],
  [
    'bash',
    'kubectl rollout restart deploy/booking-service\nkubectl rollout status deploy/booking-service --timeout=120s\necho "done: $(date)"',
  ],
  [
    'yaml',
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: worker\nspec:\n  replicas: 3',
  ],
  [
    'sql',
    "SELECT s.id, count(p.id) AS parcels\nFROM shipments s JOIN parcels p ON p.shipment_id = s.id\nWHERE s.created_at > now() - interval '1 day'\nGROUP BY s.id;",
  ],
  ['json', '{\n  "id": "shp_123",\n  "status": "booked",\n  "parcels": [{ "weight": 2.5 }]\n}'],
];

const ADMONITIONS = ['note', 'warning', 'tip', 'danger', 'info'];

// A 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

export interface GeneratedSite {
  dir: string;
  pages: number;
  bytes: number;
}

/** Writes the site into `dir` (replaced). */
export function generateDocs(dir: string, pages: number, seed = 1): GeneratedSite {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const sentence = (min: number, max: number) => {
    const n = min + Math.floor(random() * (max - min));
    const words = Array.from({ length: n }, () => pick(WORDS));
    return `${words.join(' ').replace(/^./, (c) => c.toUpperCase())}.`;
  };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'docs'), { recursive: true });

  // Sections of 10 pages, grouped 10 to an area: area-N/section-M/page-K.md
  const files: string[] = ['index.md'];
  for (let i = 1; i < pages; i++) {
    const area = Math.floor((i - 1) / 100);
    const section = Math.floor(((i - 1) % 100) / 10);
    files.push(`area-${area}/section-${section}/page-${i}.md`);
  }
  let bytes = 0;
  const write = (rel: string, content: string | Buffer) => {
    const target = join(dir, 'docs', rel);
    mkdirSync(join(target, '..'), { recursive: true });
    writeFileSync(target, content);
    bytes += content.length;
  };
  for (const [index, rel] of files.entries()) {
    const title =
      index === 0 ? 'Generated handbook' : `Page ${index}: ${pick(WORDS)} ${pick(WORDS)}`;
    const depth = rel.split('/').length - 1;
    const up = '../'.repeat(depth);
    const other = files[Math.floor(random() * files.length)]!;
    const [language, code] = pick(CODE);
    const parts = [
      `# ${title}`,
      '',
      `${sentence(20, 40)} See [a related page](${up}${other}#details) and the [home page](${up}index.md).`,
      '',
      `## Overview`,
      '',
      sentence(30, 60),
      '',
      sentence(30, 60),
      '',
      `!!! ${pick(ADMONITIONS)} "${sentence(3, 6)}"`,
      `    ${sentence(15, 30)}`,
      '',
      '## Details',
      '',
      `\`\`\`${language}`,
      code,
      '```',
      '',
      '| field | type | meaning |',
      '| --- | --- | --- |',
      ...Array.from(
        { length: 6 },
        () => `| \`${pick(WORDS)}\` | ${pick(['string', 'int', 'bool'])} | ${sentence(4, 10)} |`,
      ),
      '',
      '### Checklist',
      '',
      `- [x] ${sentence(3, 6)}`,
      `- [ ] ${sentence(3, 6)}`,
      '',
      depth > 0 ? `![Diagram](../diagram.png)\n` : '![Diagram](diagram.png)\n',
      '## Notes',
      '',
      `${sentence(40, 80)}[^1]`,
      '',
      `[^1]: ${sentence(5, 10)}`,
      '',
    ];
    write(rel, parts.join('\n'));
  }
  write('diagram.png', PNG);
  for (let area = 0; area * 100 < pages - 1; area++) write(`area-${area}/diagram.png`, PNG);

  // Nested nav: Home, then Area N → Section M → pages.
  const nav: string[] = ['nav:', '  - Home: index.md'];
  let currentArea = -1;
  let currentSection = -1;
  for (const rel of files.slice(1)) {
    const [areaPart, sectionPart] = rel.split('/') as [string, string];
    const area = Number(areaPart.split('-')[1]);
    const section = Number(sectionPart.split('-')[1]);
    if (area !== currentArea) {
      nav.push(`  - Area ${area}:`);
      currentArea = area;
      currentSection = -1;
    }
    if (section !== currentSection) {
      nav.push(`      - Section ${section}:`);
      currentSection = section;
    }
    nav.push(`          - ${rel}`);
  }
  writeFileSync(
    join(dir, 'mkdocs.yml'),
    [
      'site_name: Generated handbook',
      'site_description: Benchmark site',
      'plugins:',
      '  - techdocs-core',
      'markdown_extensions:',
      '  - admonition',
      '  - pymdownx.superfences',
      ...nav,
      '',
    ].join('\n'),
  );
  return { dir, pages: files.length, bytes };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      pages: { type: 'string', default: '1000' },
      out: { type: 'string' },
      seed: { type: 'string', default: '1' },
    },
  });
  const pages = Number(values.pages);
  const out = resolve(values.out ?? `bench/.data/techdocs-${pages}`);
  const site = generateDocs(out, pages, Number(values.seed));
  process.stdout.write(
    `${site.pages} pages, ${(site.bytes / 1024 / 1024).toFixed(1)} MB in ${site.dir}\n`,
  );
}
