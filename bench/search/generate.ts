/**
 * Seeded generator of TechDocs-like pages for the search benchmark: `techdocs` documents
 * (as the techdocs collator shapes them, COMPAT.md §8) for components of a generated catalog
 * (bench/catalog/generate.ts). Text is built from an operations/engineering vocabulary so
 * that word, phrase, prefix and fragment queries behave as on real docs.
 *
 * Same inputs, same pages (the catalog generator's PRNG, no clock).
 */
import type { IndexableDocument } from '../../src/plugins/search/server/api.ts';
import { Prng } from '../catalog/generate.ts';

export const DOCS_GENERATOR_VERSION = 1;

const TOPICS = [
  'deploy',
  'rollback',
  'release',
  'canary',
  'incident',
  'runbook',
  'alerting',
  'dashboard',
  'latency',
  'throughput',
  'migration',
  'schema',
  'database',
  'cache',
  'queue',
  'retry',
  'timeout',
  'circuit',
  'breaker',
  'kubernetes',
  'helm',
  'terraform',
  'secrets',
  'rotation',
  'certificate',
  'oncall',
  'escalation',
  'postmortem',
  'backup',
  'restore',
  'failover',
  'replica',
  'sharding',
  'index',
  'pagination',
  'webhook',
  'authentication',
  'authorization',
  'token',
  'session',
  'logging',
  'tracing',
  'metrics',
  'budget',
  'capacity',
  'autoscaling',
  'feature',
  'flag',
  'configuration',
  'pipeline',
] as const;

const VERBS = [
  'configure',
  'verify',
  'monitor',
  'trigger',
  'inspect',
  'restart',
  'drain',
  'promote',
  'revert',
  'provision',
  'document',
  'update',
  'escalate',
  'benchmark',
  'validate',
] as const;

const FILLER = [
  'the',
  'a',
  'for',
  'with',
  'before',
  'after',
  'when',
  'each',
  'every',
  'our',
  'this',
  'that',
  'in',
  'on',
  'to',
  'from',
] as const;

const PAGE_KINDS = [
  ['Overview', ''],
  ['Getting started', 'getting-started'],
  ['Deploying', 'deploying'],
  ['Rollback procedure', 'rollback'],
  ['Runbook', 'runbook'],
  ['Architecture', 'architecture'],
  ['Configuration reference', 'configuration'],
  ['Troubleshooting', 'troubleshooting'],
] as const;

function sentence(rng: Prng, nouns: string[]): string {
  const words: string[] = [];
  const length = rng.range(8, 18);
  for (let i = 0; i < length; i++) {
    const r = rng.next();
    if (i === 0) words.push(rng.pick(VERBS));
    else if (r < 0.35) words.push(rng.pick(FILLER));
    else if (r < 0.75) words.push(rng.pick(TOPICS));
    else if (r < 0.9) words.push(rng.pick(nouns));
    else words.push(rng.pick(VERBS));
  }
  const text = words.join(' ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

/** `count` pages over components: each documented component gets up to 8 pages. */
export function* generateDocsPages(
  componentNames: readonly string[],
  count: number,
  seed: number,
): Generator<IndexableDocument> {
  const rng = new Prng(seed * 7_777_777 + count);
  let made = 0;
  for (let c = 0; made < count; c++) {
    const name = componentNames[(c * 7919) % componentNames.length]!;
    // Words of the entity name (`payment-core-service-00012` → payment, core, service).
    const nouns = name.split('-').filter((w) => !/^\d+$/.test(w));
    const pages = Math.min(rng.range(3, PAGE_KINDS.length), count - made);
    for (let p = 0; p < pages; p++) {
      const [kindTitle, path] = PAGE_KINDS[p]!;
      const paragraphs: string[] = [];
      const paragraphCount = rng.range(3, 7);
      for (let i = 0; i < paragraphCount; i++) {
        const sentences: string[] = [];
        for (let j = rng.range(3, 6); j > 0; j--) sentences.push(sentence(rng, nouns));
        paragraphs.push(sentences.join(' '));
      }
      const location = `/docs/default/component/${name}/${path ? `${path}/` : ''}`;
      yield {
        title: p === 0 ? name : `${kindTitle}`,
        text: paragraphs.join('\n\n'),
        location,
        path: path ? `${path}/` : '',
        kind: 'component',
        namespace: 'default',
        name,
        entityTitle: name,
        componentType: 'service',
        type: 'service',
        lifecycle: 'production',
        owner: `team-${nouns[0]}`,
        entityRef: `component:default/${name}`,
      };
      made++;
    }
  }
}

/** A fragment from inside a word (never its start): what "ets" is to "petstore". */
export function infixOf(word: string): string {
  return word.length >= 6 ? word.slice(1, 5) : word.slice(1);
}
