/**
 * Generates a template whose skeleton has `files` files (default 1,000) in nested folders, to
 * time a full scaffolder task: most files carry `${{ values.* }}` expressions and some
 * `{% if %}` blocks, one in ten has a templated file name, a `vendor/` folder is copied
 * without templating, and a few files are binary.
 *
 *   npx tsx bench/scaffolder/generate.ts <dir> [--files 1000]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const PER_FOLDER = 25;

function source(i: number): string {
  const lines = [
    `// File ${i} of \${{ values.name }}, owned by \${{ values.owner }}`,
    `export const name${i} = \${{ values.name | dump }};`,
    `export const description${i} = \${{ values.description | dump }};`,
    '{% if values.withTests %}',
    `export function test${i}() { return '\${{ values.name | upper }}-${i}'; }`,
    '{% endif %}',
  ];
  // Some bulk, as real source files have.
  for (let j = 0; j < 30; j++) {
    lines.push(`export function helper${i}_${j}(x: number): number { return x * ${j} + ${i}; }`);
  }
  return `${lines.join('\n')}\n`;
}

/** Writes `<dir>/template.yaml` and `<dir>/skeleton/`; returns the number of skeleton files. */
export function generateTemplate(dir: string, files = 1000): number {
  const skeleton = join(dir, 'skeleton');
  let written = 0;
  const write = (path: string, content: string | Buffer) => {
    const full = join(skeleton, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    written++;
  };
  write(
    'catalog-info.yaml',
    `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: \${{ values.name | dump }}
spec:
  type: service
  lifecycle: experimental
  owner: \${{ values.owner | dump }}
`,
  );
  write('README.md', '# ${{ values.name }}\n\n${{ values.description }}\n');
  const vendor = Math.floor(files / 20);
  for (let i = 0; i < vendor; i++) {
    // Copied raw: the ${{ }} must survive untouched.
    write(`vendor/lib${i}/index.js`, `module.exports = "\${{ not rendered ${i} }}";\n`);
  }
  const binary = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 3, 0, 0xff]);
  for (let i = 0; i < 5; i++) write(`assets/image${i}.png`, binary);
  for (let i = 0; written < files; i++) {
    const folder = `src/module${Math.floor(i / PER_FOLDER)}`;
    const file = i % 10 === 0 ? `\${{ values.name }}-part${i}.ts` : `file${i}.ts`;
    write(`${folder}/${file}`, source(i));
  }
  writeFileSync(
    join(dir, 'template.yaml'),
    `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: bench-skeleton
  title: Benchmark skeleton (${written} files)
spec:
  owner: team-bench
  type: service
  parameters:
    - required: [name, owner]
      properties:
        name: {type: string}
        owner: {type: string}
        description: {type: string}
        withTests: {type: boolean}
  steps:
    - id: fetch
      name: Render the skeleton
      action: fetch:template
      input:
        url: ./skeleton
        copyWithoutTemplating:
          - vendor/**
        values:
          name: \${{ parameters.name }}
          owner: \${{ parameters.owner }}
          description: \${{ parameters.description }}
          withTests: \${{ parameters.withTests }}
    - id: api
      name: Write an API entity
      action: catalog:write
      input:
        filePath: api-info.yaml
        entity:
          apiVersion: backstage.io/v1alpha1
          kind: API
          metadata:
            name: \${{ parameters.name }}-api
          spec:
            type: openapi
            lifecycle: experimental
            owner: \${{ parameters.owner }}
            definition: 'openapi: 3.0.3'
    - id: list
      name: List the workspace
      action: fs:readdir
      input:
        paths: ['.']
        recursive: true
    - id: log
      name: Log
      action: debug:log
      input:
        message: Generated \${{ steps.list.output.files | length }} files
  output:
    files: \${{ steps.list.output.files | length }}
`,
  );
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { files: { type: 'string', default: '1000' } },
  });
  const dir = positionals[0];
  if (!dir) throw new Error('usage: generate.ts <dir> [--files 1000]');
  const n = generateTemplate(dir, Number(values.files));
  process.stdout.write(`${n} skeleton files in ${dir}\n`);
}
