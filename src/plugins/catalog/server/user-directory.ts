import type { Kysely } from 'kysely';
import { parseEntityRef, stringifyEntityRef } from '../../../model/ref.ts';
import type { CatalogTables } from './store/tables.ts';

/** Parent groups are followed at most this deep: a cycle in `spec.parent` must still end. */
const MAX_GROUP_DEPTH = 50;

/**
 * What sign-in and access control ask of the catalog: which User entity a signed-in person is,
 * and which groups they belong to, parent groups included.
 */
export class UserDirectory {
  constructor(private readonly db: Kysely<CatalogTables>) {}

  /**
   * The user's ref and the refs of every group it is a member of, directly or through a
   * sub-group (a member of `team-a`, child of `engineering`, also gets `engineering`).
   * Backstage stops at direct membership; role membership and ownership here do not.
   */
  async ownershipRefs(userRef: string): Promise<string[]> {
    const user = userRef.toLowerCase();
    const refs = new Set<string>([user]);
    let frontier = (
      await this.db
        .selectFrom('catalog_relations')
        .select('target_ref')
        .where('source_ref', '=', user)
        .where('type', '=', 'memberOf')
        .execute()
    ).map((r) => r.target_ref);
    for (let depth = 0; frontier.length && depth < MAX_GROUP_DEPTH; depth++) {
      const next: string[] = [];
      for (const group of frontier) {
        if (refs.has(group)) continue;
        refs.add(group);
        next.push(group);
      }
      if (!next.length) break;
      frontier = (
        await this.db
          .selectFrom('catalog_relations')
          .select('target_ref')
          .where('source_ref', 'in', next)
          .where('type', '=', 'childOf')
          .execute()
      ).map((r) => r.target_ref);
    }
    return [...refs];
  }

  /** Refs of User entities whose field (e.g. `spec.profile.email`, `metadata.name`) equals value, case-insensitively. */
  async usersWhere(field: string, value: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('catalog_search as s')
      .innerJoin('catalog_entities as e', 'e.id', 's.entity_id')
      .select('e.entity_ref')
      .where('e.kind', '=', 'user')
      .where('s.key', '=', field.toLowerCase())
      .where('s.value', '=', value.toLowerCase())
      // A stable order, so a message naming several users names them alike every time.
      .orderBy('e.entity_ref')
      .limit(10)
      .execute();
    return rows.map((r) => r.entity_ref);
  }

  /** Whether an entity with this ref is in the catalog. */
  async exists(ref: string): Promise<boolean> {
    const normal = stringifyEntityRef(parseEntityRef(ref)).toLowerCase();
    const row = await this.db
      .selectFrom('catalog_entities')
      .select('id')
      .where('entity_ref', '=', normal)
      .executeTakeFirst();
    return row !== undefined;
  }
}
