import type { Entity } from '../../../model/entity.ts';
import type { Logger } from '../../../core/plugin-api.ts';
import { type FactProvider, providesFact } from './facts/provider.ts';

/**
 * Which provider answers each fact id: a provider naming the id or its prefix comes before
 * one answering everything ('*', the pushed facts), else the first in order.
 */
export function assignFacts(
  providers: readonly FactProvider[],
  factIds: readonly string[],
): Map<FactProvider, string[]> {
  const specific = providers.filter((p) => !p.facts.includes('*'));
  const catchAll = providers.filter((p) => p.facts.includes('*'));
  const out = new Map<FactProvider, string[]>();
  for (const id of new Set(factIds)) {
    const provider =
      specific.find((p) => providesFact(p, id)) ?? catchAll.find((p) => providesFact(p, id));
    if (!provider) continue;
    const list = out.get(provider) ?? [];
    list.push(id);
    out.set(provider, list);
  }
  return out;
}

/**
 * The facts of a batch of entities (lowercased ref -> fact id -> value), one `collect` call
 * per provider. A provider that fails leaves its facts unknown (checks on them say so); the
 * failure is logged, once per provider and message.
 */
export async function gatherFacts(
  providers: readonly FactProvider[],
  entities: readonly Entity[],
  factIds: readonly string[],
  logger: Logger,
  reported: Set<string> = new Set(),
): Promise<Map<string, Map<string, unknown>>> {
  const out = new Map<string, Map<string, unknown>>();
  if (!factIds.length || !entities.length) return out;
  const assigned = assignFacts(providers, factIds);
  await Promise.all(
    [...assigned].map(async ([provider, ids]) => {
      let found: Map<string, Map<string, unknown>>;
      try {
        found = await provider.collect(entities as Entity[], ids);
      } catch (error) {
        const message = (error as Error).message;
        const key = `${provider.id}\u0000${message}`;
        if (!reported.has(key)) {
          reported.add(key);
          logger.warn(`Fact provider '${provider.id}' failed; its facts are unknown`, {
            error: message,
          });
        }
        return;
      }
      const wanted = new Set(ids);
      for (const [ref, facts] of found) {
        const key = ref.toLowerCase();
        const into = out.get(key) ?? new Map<string, unknown>();
        for (const [id, value] of facts) if (wanted.has(id) && !into.has(id)) into.set(id, value);
        out.set(key, into);
      }
    }),
  );
  return out;
}
