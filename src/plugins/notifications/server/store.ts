import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../core/plugin-api.ts';
import { escapeLike } from '../../../core/plugin-api.ts';
import type {
  Notification,
  NotificationPayload,
  NotificationSeverity,
  NotificationsPage,
  NotificationStatus,
} from '../common/index.ts';

interface NotificationRow {
  id: string;
  user_ref: string;
  created: string;
  read_at: string | null;
  origin: string;
  title: string;
  description: string | null;
  link: string | null;
  severity: string;
  topic: string | null;
  scope: string | null;
}

interface NotificationTables {
  notifications: NotificationRow;
}

export interface ListRequest {
  offset: number;
  limit: number;
  read?: boolean;
  search?: string;
  topic?: string;
}

function toNotification(row: NotificationRow): Notification {
  const payload: NotificationPayload = {
    title: row.title,
    severity: row.severity as NotificationSeverity,
  };
  if (row.description !== null) payload.description = row.description;
  if (row.link !== null) payload.link = row.link;
  if (row.topic !== null) payload.topic = row.topic;
  if (row.scope !== null) payload.scope = row.scope;
  return {
    id: row.id,
    user: row.user_ref,
    created: row.created,
    read: row.read_at,
    origin: row.origin,
    payload,
  };
}

/** Notifications per recipient; every read and write is confined to one user's rows. */
export class NotificationStore {
  private readonly db: Kysely<NotificationTables>;
  private readonly reader: Kysely<NotificationTables>;

  constructor(database: Database) {
    this.db = database.db as Kysely<NotificationTables>;
    this.reader = database.reader as Kysely<NotificationTables>;
  }

  /**
   * Delivers one payload to each user. With a `scope`, a user's earlier notification of the
   * same origin and scope is replaced and unread again (Backstage's rule: a scope is "the same
   * subject", e.g. one pull request, so the list holds its latest state once).
   */
  async send(
    users: string[],
    origin: string,
    payload: NotificationPayload,
  ): Promise<Notification[]> {
    const created = new Date().toISOString();
    const rows: NotificationRow[] = [...new Set(users)].map((user) => ({
      id: randomUUID(),
      user_ref: user,
      created,
      read_at: null,
      origin,
      title: payload.title,
      description: payload.description ?? null,
      link: payload.link ?? null,
      severity: payload.severity ?? 'normal',
      topic: payload.topic ?? null,
      scope: payload.scope ?? null,
    }));
    if (!rows.length) return [];
    await this.db.transaction().execute(async (trx) => {
      if (payload.scope) {
        await trx
          .deleteFrom('notifications')
          .where(
            'user_ref',
            'in',
            rows.map((r) => r.user_ref),
          )
          .where('origin', '=', origin)
          .where('scope', '=', payload.scope)
          .execute();
      }
      for (let i = 0; i < rows.length; i += 500) {
        await trx
          .insertInto('notifications')
          .values(rows.slice(i, i + 500))
          .execute();
      }
    });
    return rows.map(toNotification);
  }

  async list(user: string, request: ListRequest): Promise<NotificationsPage> {
    let q = this.reader.selectFrom('notifications').where('user_ref', '=', user);
    if (request.read === true) q = q.where('read_at', 'is not', null);
    if (request.read === false) q = q.where('read_at', 'is', null);
    if (request.topic !== undefined) q = q.where('topic', '=', request.topic);
    if (request.search) {
      const pattern = `%${escapeLike(request.search.toLowerCase())}%`;
      q = q.where((eb) =>
        eb.or([
          eb(sql`lower(title)`, 'like', sql`${pattern} escape '\\'`),
          eb(sql`lower(coalesce(description, ''))`, 'like', sql`${pattern} escape '\\'`),
        ]),
      );
    }
    const [rows, count] = await Promise.all([
      q
        .selectAll()
        .orderBy('created', 'desc')
        .orderBy('id', 'desc')
        .limit(request.limit)
        .offset(request.offset)
        .execute(),
      q.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { notifications: rows.map(toNotification), totalCount: Number(count.n) };
  }

  async status(user: string): Promise<NotificationStatus> {
    const rows = await this.reader
      .selectFrom('notifications')
      .select((eb) => [
        eb.fn.countAll<number | string>().as('total'),
        eb.fn.count<number | string>('read_at').as('read'),
      ])
      .where('user_ref', '=', user)
      .executeTakeFirstOrThrow();
    const read = Number(rows.read);
    return { unread: Number(rows.total) - read, read };
  }

  /** Marks the user's notifications among `ids` read or unread; others' ids are ignored. */
  async markRead(user: string, ids: string[], read: boolean): Promise<Notification[]> {
    if (!ids.length) return [];
    await this.db
      .updateTable('notifications')
      .set({ read_at: read ? new Date().toISOString() : null })
      .where('user_ref', '=', user)
      .where('id', 'in', ids)
      .execute();
    return this.byIds(user, ids);
  }

  async byId(user: string, id: string): Promise<Notification | undefined> {
    return (await this.byIds(user, [id]))[0];
  }

  /** The user's notifications among `ids` (from the writer: right after an update). */
  async byIds(user: string, ids: string[]): Promise<Notification[]> {
    if (!ids.length) return [];
    const rows = await this.db
      .selectFrom('notifications')
      .selectAll()
      .where('user_ref', '=', user)
      .where('id', 'in', ids)
      .execute();
    return rows.map(toNotification);
  }
}
