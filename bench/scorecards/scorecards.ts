/**
 * The benchmark's three scorecards of ten checks each, over the generated catalog
 * (bench/catalog/generate.ts): field, relation and fact checks (pushed `ci.*` and
 * `security.*` facts, and the built-in catalog and TechDocs facts), combined with
 * allOf/anyOf/not and a regex, as a real organisation would write them.
 */
import { stringify } from 'yaml';

const card = (
  name: string,
  title: string,
  spec: { checks: unknown[] } & Record<string, unknown>,
) => ({
  apiVersion: 'atrium.io/v1alpha1',
  kind: 'Scorecard',
  metadata: { name, title },
  spec: { owner: 'group:default/acme', ...spec },
});

export const SCORECARDS = [
  // ~27,500 services.
  card('production-readiness', 'Production readiness', {
    filter: { kind: 'Component', 'spec.type': 'service' },
    levels: ['Bronze', 'Silver', 'Gold'],
    checks: [
      {
        id: 'owned',
        level: 'Bronze',
        rule: { relation: 'ownedBy', minCount: 1, target: { kind: ['Group', 'User'] } },
      },
      { id: 'described', level: 'Bronze', rule: { field: 'metadata.description', exists: true } },
      {
        id: 'lifecycle',
        level: 'Bronze',
        rule: { field: 'spec.lifecycle', in: ['production', 'experimental', 'deprecated'] },
      },
      { id: 'clean', level: 'Bronze', rule: { fact: 'catalog.hasErrors', equals: false } },
      {
        id: 'in-system',
        level: 'Silver',
        rule: { relation: 'partOf', minCount: 1, target: { kind: 'System' } },
      },
      { id: 'provides-api', level: 'Silver', rule: { relation: 'providesApi', minCount: 1 } },
      {
        id: 'on-call',
        level: 'Silver',
        rule: { field: 'metadata.annotations["pagerduty.com/service-id"]', exists: true },
      },
      { id: 'coverage', level: 'Gold', rule: { fact: 'ci.coverage', gte: 80 } },
      {
        id: 'no-criticals',
        level: 'Gold',
        rule: { fact: 'security.criticalVulnerabilities', equals: 0 },
      },
      {
        id: 'docs',
        level: 'Gold',
        rule: {
          allOf: [
            { field: 'metadata.annotations["backstage.io/techdocs-ref"]', exists: true },
            { not: { fact: 'techdocs.buildFailed', equals: true } },
          ],
        },
      },
    ],
    campaigns: [{ id: 'gold', title: 'Every service Gold', level: 'Gold', deadline: '2027-03-31' }],
  }),
  // ~74,000 components, APIs and systems.
  card('documentation', 'Documentation', {
    filter: { kind: ['Component', 'API', 'System'] },
    levels: ['Basic', 'Good', 'Great'],
    checks: [
      { id: 'described', level: 'Basic', rule: { field: 'metadata.description', exists: true } },
      {
        id: 'long-description',
        level: 'Basic',
        rule: { field: 'metadata.description', matches: '^.{20,}$' },
      },
      { id: 'owned', level: 'Basic', rule: { relation: 'ownedBy', minCount: 1 } },
      { id: 'titled', level: 'Good', rule: { field: 'metadata.title', exists: true } },
      { id: 'tagged', level: 'Good', rule: { field: 'metadata.tags', minItems: 1 } },
      {
        id: 'docs-ref',
        level: 'Good',
        rule: {
          anyOf: [
            { field: 'metadata.annotations["backstage.io/techdocs-ref"]', exists: true },
            { field: 'kind', equals: 'API' },
          ],
        },
      },
      { id: 'docs-built', level: 'Great', rule: { fact: 'techdocs.built', equals: true } },
      { id: 'linked', level: 'Great', rule: { field: 'metadata.links', minItems: 1 } },
      { id: 'reviewed', level: 'Great', rule: { fact: 'docs.reviewedDaysAgo', lte: 180 } },
      {
        id: 'few-deps',
        level: 'Great',
        rule: { relation: 'dependsOn', maxCount: 3 },
      },
    ],
  }),
  // Every entity but Scorecards, Locations and Templates: ~100,000.
  card('hygiene', 'Catalog hygiene', {
    levels: ['Tidy', 'Spotless'],
    checks: [
      { id: 'clean', level: 'Tidy', rule: { fact: 'catalog.hasErrors', equals: false } },
      { id: 'not-orphan', level: 'Tidy', rule: { fact: 'catalog.orphan', equals: false } },
      {
        id: 'name-style',
        level: 'Tidy',
        rule: { field: 'metadata.name', matches: '^[a-z0-9]+(-[a-z0-9]+)*$' },
      },
      {
        id: 'owner-exists',
        level: 'Tidy',
        rule: {
          anyOf: [
            { relation: 'ownedBy', minCount: 1 },
            { field: 'kind', in: ['Group', 'User'] },
          ],
        },
      },
      {
        id: 'has-description',
        level: 'Tidy',
        rule: { field: 'metadata.description', exists: true },
      },
      {
        id: 'owner-is-group',
        level: 'Spotless',
        rule: {
          anyOf: [
            { relation: 'ownedBy', minCount: 1, target: { kind: 'Group' } },
            { field: 'kind', in: ['Group', 'User'] },
          ],
        },
      },
      {
        id: 'deps-exist',
        level: 'Spotless',
        rule: {
          not: {
            relation: 'dependsOn',
            minCount: 1,
            target: { kind: 'Resource', 'spec.type': 'legacy' },
          },
        },
      },
      { id: 'labelled', level: 'Spotless', rule: { field: 'metadata.labels.tier', exists: true } },
      {
        id: 'no-dangling',
        level: 'Spotless',
        rule: { field: 'spec.owner', matches: '^(?!.*dangling).*$' },
      },
      { id: 'scanned', level: 'Spotless', rule: { fact: 'security.scannedAt', exists: true } },
    ],
  }),
];

export const SCORECARDS_YAML = SCORECARDS.map((d) => stringify(d)).join('---\n');
