/**
 * The part of the access benchmark's catalog that one user owns: a User in a Group of its own
 * and exactly `count` entities owned by that group or that user, written as a separate
 * catalog file (registered as a second config location) so that the generated catalog the
 * other benchmarks use stays byte-identical.
 *
 * The owned entities are copies of the first `count` owner-bearing entities of the generated
 * files (Components, APIs, Systems, Resources, Domains, in file order), renamed `owned-<name>`,
 * with their owner replaced: real bodies, real relations to the rest of the catalog, and the
 * same kind mix as the catalog. Deterministic: same input files, same output.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as jsYaml from 'js-yaml';
import type { CatalogSpec } from '../catalog/catalog-source.ts';
import { ROOT_FILE } from '../catalog/generate.ts';

export const OWNER_USER = 'user:default/bench-access-user';
export const OWNER_GROUP = 'group:default/bench-access-team';
/** What the caller's identity carries: the user and its one group (no parent group). */
export const OWNERSHIP_REFS = [OWNER_USER, OWNER_GROUP];

interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  spec?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface OwnedCatalog {
  /** The catalog file to register. */
  target: string;
  /** Entities in it: the owned ones, the user and the group. */
  entities: number;
  owned: number;
  /** Owned entities by lowercase kind. */
  byKind: Record<string, number>;
  /** One owned Component (for single-entity requests). */
  sample: { kind: string; namespace: string; name: string };
}

export async function writeOwnedCatalog(
  spec: CatalogSpec,
  outDir: string,
  count: number,
): Promise<OwnedCatalog> {
  const owned: Doc[] = [];
  const byKind: Record<string, number> = {};
  for (const [rel] of spec.perFile) {
    if (owned.length >= count) break;
    if (rel === ROOT_FILE) continue;
    const docs = jsYaml.loadAll(await readFile(join(spec.dir, rel), 'utf8')) as Doc[];
    for (const d of docs) {
      if (owned.length >= count) break;
      if (!d?.spec || typeof d.spec.owner !== 'string') continue;
      // Every tenth owned directly by the user, the rest by the group: both refs count.
      const owner = owned.length % 10 === 9 ? OWNER_USER : OWNER_GROUP;
      const copy: Doc = {
        ...d,
        metadata: { ...d.metadata, name: `owned-${d.metadata.name}` },
        spec: { ...d.spec, owner },
      };
      owned.push(copy);
      const kind = d.kind.toLowerCase();
      byKind[kind] = (byKind[kind] ?? 0) + 1;
    }
  }
  if (owned.length < count)
    throw new Error(`only ${owned.length} owner-bearing entities in ${spec.dir}, ${count} wanted`);
  const name = (ref: string) => ref.split('/')[1]!;
  const user: Doc = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name: name(OWNER_USER), description: 'The access benchmark caller.' },
    spec: {
      profile: { displayName: 'Bench Access User', email: 'bench-access-user@example.com' },
      memberOf: [name(OWNER_GROUP)],
    },
  };
  const group: Doc = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: {
      name: name(OWNER_GROUP),
      description: `Owns ${count} entities (no parent group, so nothing else).`,
    },
    spec: { type: 'team', children: [], members: [name(OWNER_USER)] },
  };
  await mkdir(outDir, { recursive: true });
  const target = join(outDir, ROOT_FILE);
  await writeFile(
    target,
    [user, group, ...owned]
      .map((d) => jsYaml.dump(d, { noRefs: true, lineWidth: -1 }))
      .join('---\n'),
  );
  const component = owned.find((d) => d.kind === 'Component') ?? owned[0]!;
  return {
    target,
    entities: owned.length + 2,
    owned: owned.length,
    byKind,
    sample: {
      kind: component.kind.toLowerCase(),
      namespace: component.metadata.namespace ?? 'default',
      name: component.metadata.name,
    },
  };
}

/** The policy files the benchmark's servers read (`permission.policyFile`). */
export const POLICIES = {
  /** The only read rule: what you own. Reads become CONDITIONAL and filter inside SQL. */
  'owner-only': `rules:
  - name: everyone reads what they own
    roles: everyone
    allow: catalog.entity.read
    when: { isEntityOwner: true }
`,
  /** Everything to everyone: the cost of asking the policy, with no condition to apply. */
  'allow-all': `rules:
  - name: everyone may do everything
    roles: everyone
    allow: '*'
`,
} as const;
