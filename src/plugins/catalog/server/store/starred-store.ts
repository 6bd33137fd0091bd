import type { Database } from '../../../../core/plugin-api.ts';

/** One star: who starred what, and when (ISO 8601 UTC text, which sorts as time). */
export interface StarredRow {
  user_ref: string;
  entity_ref: string;
  created_at: string;
}

const TABLE = 'catalog_starred_entities';

/**
 * Each user's starred entity refs (table from migration 0005_starred_entities). Refs are
 * stored canonical and lowercase; the routes check them before they get here.
 */
export class StarredStore {
  constructor(private readonly database: Database) {}

  /** The user's stars, oldest first. */
  async list(userRef: string): Promise<StarredRow[]> {
    return (await this.database.reader
      .selectFrom(TABLE)
      .select(['user_ref', 'entity_ref', 'created_at'])
      .where('user_ref', '=', userRef)
      .orderBy('created_at')
      .orderBy('entity_ref')
      .execute()) as StarredRow[];
  }

  async count(userRef: string): Promise<number> {
    const row = (await this.database.db
      .selectFrom(TABLE)
      .select((eb) => eb.fn.countAll().as('n'))
      .where('user_ref', '=', userRef)
      .executeTakeFirst()) as { n: number | string | bigint } | undefined;
    return Number(row?.n ?? 0);
  }

  async has(userRef: string, entityRef: string): Promise<boolean> {
    const row = await this.database.db
      .selectFrom(TABLE)
      .select('entity_ref')
      .where('user_ref', '=', userRef)
      .where('entity_ref', '=', entityRef)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Stars an entity; starring it again keeps the first time. True when the star is new. */
  async add(userRef: string, entityRef: string, now = new Date()): Promise<boolean> {
    const result = await this.database.db
      .insertInto(TABLE)
      .values({ user_ref: userRef, entity_ref: entityRef, created_at: now.toISOString() })
      .onConflict((oc) => oc.columns(['user_ref', 'entity_ref']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /** Unstars an entity. True when there was a star to remove. */
  async remove(userRef: string, entityRef: string): Promise<boolean> {
    const result = await this.database.db
      .deleteFrom(TABLE)
      .where('user_ref', '=', userRef)
      .where('entity_ref', '=', entityRef)
      .executeTakeFirst();
    return Number(result.numDeletedRows ?? 0) > 0;
  }
}
