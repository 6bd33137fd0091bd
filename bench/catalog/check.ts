/**
 * Checks a generated catalog without a server, using @backstage/catalog-model as the oracle:
 *
 *   npx tsx bench/catalog/check.ts <dir>
 *
 * - every document passes Backstage's entity policies and its kind validator;
 * - names are lowercase `[a-z0-9-]`, at most 63 characters, unique per kind;
 * - dependsOn entries name their kind; group parent/children/members agree with each other
 *   and with users' memberOf; the root Location lists every file;
 * - prints the kind mix, the refs that resolve and the dangling ones (~1% expected).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type Entity, parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { parseAllDocuments } from 'yaml';
import { backstageVerdict } from '../../src/model/backstage-oracle.testkit.ts';
import { ROOT_FILE } from './generate.ts';

/** Ref fields and their default kinds (COMPAT.md §3.2); undefined = kind required. */
const REF_FIELDS: Record<string, Array<[string, string | undefined]>> = {
  Component: [
    ['owner', 'group'],
    ['system', 'system'],
    ['dependsOn', undefined],
    ['providesApis', 'api'],
    ['consumesApis', 'api'],
    ['subcomponentOf', 'component'],
  ],
  API: [
    ['owner', 'group'],
    ['system', 'system'],
  ],
  Resource: [
    ['owner', 'group'],
    ['system', 'system'],
    ['dependsOn', undefined],
  ],
  System: [
    ['owner', 'group'],
    ['domain', 'domain'],
  ],
  Domain: [
    ['owner', 'group'],
    ['subdomainOf', 'domain'],
  ],
  User: [['memberOf', 'group']],
  Group: [
    ['parent', 'group'],
    ['children', 'group'],
    ['members', 'user'],
  ],
};

export async function checkCatalog(dir: string) {
  const problems: string[] = [];
  const rootPath = join(resolve(dir), ROOT_FILE);
  const root = parseAllDocuments(readFileSync(rootPath, 'utf8')).map((d) => d.toJS()) as Entity[];
  if (root.length !== 1 || root[0]!.kind !== 'Location')
    problems.push(`${ROOT_FILE}: expected one Location entity`);
  const targets = (root[0]!.spec?.targets as string[]) ?? [];
  const entities: Entity[] = [];
  for (const target of targets) {
    if (!target.startsWith('./')) problems.push(`target ${target} is not relative`);
    const file = resolve(dirname(rootPath), target);
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      if (doc.errors.length) problems.push(`${file}: ${doc.errors[0]!.message}`);
      entities.push(doc.toJS() as Entity);
    }
  }
  for (const e of [...root, ...entities]) {
    const where = `${e.kind}:${e.metadata?.name}`;
    const verdict = await backstageVerdict(e);
    if (!verdict.ok) problems.push(`${where}: ${verdict.error}`);
    const name = e.metadata.name;
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name) || name.length > 63)
      problems.push(`${where}: name is not [a-z0-9-]{1,63}`);
  }

  const refs = new Set(entities.map((e) => stringifyEntityRef(e)));
  if (refs.size !== entities.length)
    problems.push(`${entities.length - refs.size} duplicate entity refs`);
  const kinds: Record<string, number> = {};
  for (const e of entities) kinds[e.kind] = (kinds[e.kind] ?? 0) + 1;

  let total = 0;
  let danglingCount = 0;
  for (const e of entities) {
    for (const [field, defaultKind] of REF_FIELDS[e.kind] ?? []) {
      const raw = e.spec?.[field];
      const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
      for (const r of list as string[]) {
        if (!defaultKind && !/^[a-z]+:/i.test(r))
          problems.push(`${e.kind}:${e.metadata.name}: ${field} entry ${r} has no kind`);
        const target = stringifyEntityRef(
          parseEntityRef(r, {
            defaultKind: defaultKind ?? 'component',
            defaultNamespace: 'default',
          }),
        );
        total++;
        if (!refs.has(target)) danglingCount++;
      }
    }
  }

  // Group hierarchy and membership agree in both directions.
  const groups = new Map(
    entities.filter((e) => e.kind === 'Group').map((g) => [g.metadata.name, g]),
  );
  const users = entities.filter((e) => e.kind === 'User');
  const userByName = new Map(users.map((u) => [u.metadata.name, u]));
  let roots = 0;
  for (const g of groups.values()) {
    const parent = g.spec?.parent as string | undefined;
    if (!parent) roots++;
    else if (!((groups.get(parent)?.spec?.children as string[]) ?? []).includes(g.metadata.name)) {
      problems.push(`group ${g.metadata.name}: parent ${parent} does not list it as a child`);
    }
    for (const c of (g.spec?.children as string[]) ?? []) {
      if (groups.get(c)?.spec?.parent !== g.metadata.name)
        problems.push(`group ${g.metadata.name}: child ${c} names another parent`);
    }
    for (const m of (g.spec?.members as string[]) ?? []) {
      const u = userByName.get(m);
      if (!u || !((u.spec?.memberOf as string[]) ?? []).includes(g.metadata.name))
        problems.push(`group ${g.metadata.name}: member ${m} is not memberOf it`);
    }
  }
  if (roots !== 1) problems.push(`expected one root group, found ${roots}`);
  for (const u of users) {
    for (const g of (u.spec?.memberOf as string[]) ?? []) {
      const group = groups.get(g);
      if (group && !((group.spec?.members as string[]) ?? []).includes(u.metadata.name))
        problems.push(`user ${u.metadata.name}: group ${g} does not list it`);
    }
  }
  const perFile = entities.length / Math.max(1, targets.length);
  return {
    entities: entities.length,
    files: targets.length,
    perFile,
    kinds,
    refs: total,
    dangling: danglingCount,
    danglingPct: (100 * danglingCount) / Math.max(1, total),
    problems,
  };
}

if (import.meta.url === `file://${resolve(process.argv[1] ?? '')}`) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: npx tsx bench/catalog/check.ts <generated dir>\n');
    process.exit(2);
  }
  const result = await checkCatalog(dir);
  process.stdout.write(
    `${JSON.stringify({ ...result, problems: result.problems.slice(0, 20), problemCount: result.problems.length }, null, 2)}\n`,
  );
  process.exitCode = result.problems.length ? 1 : 0;
}
