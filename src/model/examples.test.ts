/**
 * Backstage's own example files (copied to test/fixtures/backstage): Atrium must reach the
 * same verdict as Backstage's validators on every document. Test-only file reads.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { backstageVerdict } from './backstage-oracle.testkit.ts';
import { createKindRegistry } from './kind-registry.ts';
import { validateEntity } from './validate.ts';

const fixtures = fileURLToPath(new URL('../../test/fixtures/backstage/', import.meta.url));
const catalogExamples = join(fixtures, 'backstage-examples/packages/catalog-model/examples');
const registry = createKindRegistry();

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? yamlFiles(join(dir, e.name))
        : /\.ya?ml$/.test(e.name)
          ? [join(dir, e.name)]
          : [],
    )
    .sort();
}

interface Doc {
  label: string;
  value: unknown;
}

function documents(root: string, files: string[]): Doc[] {
  const out: Doc[] = [];
  for (const file of files) {
    parseAllDocuments(readFileSync(file, 'utf8')).forEach((doc, index) => {
      expect(doc.errors, file).toEqual([]);
      const value = doc.toJS();
      if (value === null || value === undefined) return;
      out.push({ label: `${relative(root, file)}#${index}`, value });
    });
  }
  return out;
}

/** Replaces `{ $text | $json | $yaml: … }` placeholders with a string, as ingestion would. */
function resolvePlaceholders(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolvePlaceholders);
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && ['$text', '$json', '$yaml'].includes(keys[0] ?? '')) {
      return 'resolved placeholder content';
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolvePlaceholders(v)]));
  }
  return value;
}

describe('catalog-model examples', () => {
  const docs = documents(catalogExamples, yamlFiles(catalogExamples));

  it('finds the example documents', () => {
    expect(docs.length).toBeGreaterThan(50);
  });

  it('gets Backstage’s verdict on every document', async () => {
    const rejected: string[] = [];
    for (const { label, value } of docs) {
      const ours = validateEntity(value, registry);
      const theirs = await backstageVerdict(value);
      expect(
        ours.problems.length === 0,
        `${label}: ${JSON.stringify(ours.problems)} vs ${theirs.error}`,
      ).toBe(theirs.ok);
      if (!theirs.ok) rejected.push(label);
    }
    // The documents both refuse: unknown kind, a missing definition, unresolved $text
    // placeholders, a name and tag with spaces, and an OpenAPI file that is no entity.
    expect(rejected).toEqual([
      'ai-resources/code-review-plugin.yaml#0',
      'ai-resources/frontend-design-skill.yaml#0',
      'ai-resources/use-internal-apis-rule.yaml#0',
      'apis/backstage-mcp-server-api.yaml#0',
      'apis/petstore-webhook-api.yaml#0',
      'apis/petstore-webhook.oas.yaml#0',
      'apis/spotify-api.yaml#0',
      'apis/wayback-archive-api.yaml#0',
      'apis/wayback-search-api.yaml#0',
      'components/invalid-component.yaml#0',
    ]);
  });

  it('explains why each refused document is refused', () => {
    const problemsOf = (label: string) => {
      const doc = docs.find((d) => d.label === label);
      expect(doc, label).toBeDefined();
      return validateEntity(doc?.value, registry).problems;
    };
    expect(problemsOf('components/invalid-component.yaml#0').map((p) => p.path)).toEqual([
      'metadata.name',
      'metadata.tags[1]',
    ]);
    const aiResource = problemsOf('ai-resources/code-review-plugin.yaml#0');
    expect(aiResource.map((p) => p.path)).toEqual(['kind']);
    expect(aiResource[0]?.message).toContain('kind "AiResource" is not known');
    expect(problemsOf('apis/backstage-mcp-server-api.yaml#0').map((p) => p.path)).toEqual([
      'spec.definition',
    ]);
    expect(problemsOf('apis/spotify-api.yaml#0').map((p) => p.path)).toEqual(['spec.definition']);
  });

  it('accepts the API documents once placeholders are resolved, except the MCP server one', async () => {
    for (const { label, value } of docs.filter((d) => d.label.startsWith('apis/'))) {
      const resolved = resolvePlaceholders(value);
      const ours = validateEntity(resolved, registry).problems.length === 0;
      expect(ours, label).toBe((await backstageVerdict(resolved)).ok);
      const expected = !/backstage-mcp-server-api|petstore-webhook\.oas/.test(label);
      expect(ours, label).toBe(expected);
    }
  });
});

describe('create-app and scaffolder examples (Template kind included)', () => {
  const roots = [
    join(fixtures, 'backstage-examples/packages/create-app/templates/default-app/examples'),
    join(fixtures, 'backstage-examples/plugins/scaffolder-backend/sample-templates'),
  ];
  const docs = roots.flatMap((root) =>
    documents(
      root,
      yamlFiles(root).filter((f) => !/[/\\](skeleton|content)[/\\]/.test(f)),
    ),
  );

  it('accepts every document', async () => {
    const kinds = new Set<string>();
    for (const { label, value } of docs) {
      const result = validateEntity(value, registry);
      expect(result.problems, label).toEqual([]);
      const kind = (value as { kind: string }).kind;
      kinds.add(kind);
      if (kind !== 'Template') expect((await backstageVerdict(value)).ok, label).toBe(true);
    }
    expect([...kinds].sort()).toEqual([
      'API',
      'Component',
      'Group',
      'Location',
      'System',
      'Template',
      'User',
    ]);
  });
});
