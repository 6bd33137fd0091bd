import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../core/plugin-api.ts';
import type { RoleRuleInput } from '../common/index.ts';

interface RoleRow {
  name: string;
  description: string | null;
  members: string;
  rules: string;
  updated_at: string;
  updated_by: string;
}

interface Tables {
  permission_roles: RoleRow;
  permission_policy_version: { id: number; version: number | string };
}

export interface StoredRole {
  name: string;
  description?: string;
  members: string[];
  rules: RoleRuleInput[];
  updatedAt: string;
  updatedBy: string;
}

function fromRow(row: RoleRow): StoredRole {
  return {
    name: row.name,
    ...(row.description !== null ? { description: row.description } : {}),
    members: JSON.parse(row.members) as string[],
    rules: JSON.parse(row.rules) as RoleRuleInput[],
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

/** Roles kept in the database, and the version number that tells replicas one changed. */
export class RoleStore {
  private readonly db: Kysely<Tables>;
  private readonly reader: Kysely<Tables>;

  constructor(database: Database) {
    this.db = database.db as Kysely<Tables>;
    this.reader = database.reader as Kysely<Tables>;
  }

  /** Bumped by every write; polled by every replica. */
  async version(): Promise<number> {
    const row = await this.reader
      .selectFrom('permission_policy_version')
      .select('version')
      .where('id', '=', 1)
      .executeTakeFirst();
    return Number(row?.version ?? 0);
  }

  /**
   * Every role, with a version no newer than what was read: the version is read first, so a
   * write between the two reads shows as a newer version at the next poll, never as lost.
   * Both reads go to the reader, which a long ingest transaction on the writer never blocks.
   */
  async snapshot(): Promise<{ version: number; roles: StoredRole[] }> {
    const version = await this.version();
    const rows = await this.reader
      .selectFrom('permission_roles')
      .selectAll()
      .orderBy('name')
      .execute();
    return { version, roles: rows.map(fromRow) };
  }

  async get(name: string): Promise<StoredRole | undefined> {
    const row = await this.db
      .selectFrom('permission_roles')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  /** Creates or replaces a role; returns the previous version of it, if any. */
  async put(
    role: Omit<StoredRole, 'updatedAt' | 'updatedBy'>,
    by: string,
  ): Promise<{ before?: StoredRole; after: StoredRole }> {
    const row: RoleRow = {
      name: role.name,
      description: role.description ?? null,
      members: JSON.stringify(role.members),
      rules: JSON.stringify(role.rules),
      updated_at: new Date().toISOString(),
      updated_by: by,
    };
    return this.db.transaction().execute(async (trx) => {
      const before = await trx
        .selectFrom('permission_roles')
        .selectAll()
        .where('name', '=', role.name)
        .executeTakeFirst();
      await trx
        .insertInto('permission_roles')
        .values(row)
        .onConflict((oc) =>
          oc.column('name').doUpdateSet({
            description: row.description,
            members: row.members,
            rules: row.rules,
            updated_at: row.updated_at,
            updated_by: row.updated_by,
          }),
        )
        .execute();
      await this.bump(trx);
      return { ...(before ? { before: fromRow(before) } : {}), after: fromRow(row) };
    });
  }

  /** Deletes a role; returns it, or undefined when there was none. */
  async delete(name: string): Promise<StoredRole | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const before = await trx
        .selectFrom('permission_roles')
        .selectAll()
        .where('name', '=', name)
        .executeTakeFirst();
      if (!before) return undefined;
      await trx.deleteFrom('permission_roles').where('name', '=', name).execute();
      await this.bump(trx);
      return fromRow(before);
    });
  }

  private async bump(trx: Kysely<Tables>): Promise<void> {
    await trx
      .updateTable('permission_policy_version')
      .set({ version: sql`version + 1` })
      .where('id', '=', 1)
      .execute();
  }
}
