import { InputError } from '../../../core/errors.ts';
import type { JsonObject } from '../../../model/entity.ts';
import type { ActionDeps, TemplateAction } from '../../scaffolder/server/actions/types.ts';
import { NOTIFICATION_SEVERITIES, type NotificationSeverity } from '../common/index.ts';
import { checkLink } from './link.ts';
import { allUsers, resolveRecipients } from './recipients.ts';
import type { NotificationStore } from './store.ts';

interface SendInput extends JsonObject {
  recipients: 'broadcast' | 'entity';
  entityRefs?: string[];
  title: string;
  info?: string;
  link?: string;
  severity?: NotificationSeverity;
  scope?: string;
  optional?: boolean;
}

/** Backstage's origin for what a template sends: the scaffolder plugin. */
export const SCAFFOLDER_ORIGIN = 'plugin:scaffolder';

/**
 * `notification:send`, with Backstage's inputs. `store` is read when a step runs: the
 * notifications plugin sets it up after the scaffolder has built its action registry.
 */
export function createSendNotificationAction(
  store: () => NotificationStore,
): (deps: ActionDeps) => TemplateAction<SendInput> {
  return (deps) => ({
    id: 'notification:send',
    description: 'Sends a notification to users (entity recipients) or to everyone (broadcast).',
    examples: [
      {
        description: 'Tell the owning team that their component was created',
        example: `steps:
  - id: notify
    name: Notify
    action: notification:send
    input:
      recipients: entity
      entityRefs: [\${{ parameters.owner }}]
      title: Your component is ready
      info: \${{ parameters.name }} was created
      link: \${{ steps.publish.output.remoteUrl }}
      severity: normal
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['recipients', 'title'],
        properties: {
          recipients: {
            type: 'string',
            enum: ['broadcast', 'entity'],
            description: 'broadcast: every user; entity: the users entityRefs stand for',
          },
          entityRefs: {
            type: 'array',
            items: { type: 'string', minLength: 1 },
            description: 'Users, groups (their members) or other entities (their owners)',
          },
          title: { type: 'string', minLength: 1, description: 'Notification title' },
          info: { type: 'string', description: 'Notification description' },
          link: { type: 'string', description: 'Notification link (http(s) URL or a path)' },
          severity: {
            type: 'string',
            enum: [...NOTIFICATION_SEVERITIES],
            description: 'Notification severity (default normal)',
          },
          scope: {
            type: 'string',
            description: 'Replaces an earlier notification of the same scope, unread again',
          },
          optional: {
            type: 'boolean',
            description: 'Do not fail the step when the notification cannot be sent',
          },
        },
      },
      output: {
        type: 'object',
        properties: {
          recipients: {
            type: 'array',
            items: { type: 'string' },
            description: 'Atrium: the user refs the notification was delivered to',
          },
        },
      },
    },
    supportsDryRun: false,
    async handler(ctx) {
      const { recipients, entityRefs = [], title, info, severity, scope } = ctx.input;
      // A template passes an unset parameter through as ''; Backstage then sends no link.
      const link = ctx.input.link || undefined;
      try {
        if (link !== undefined) checkLink(link, 'input.link');
        let users: string[];
        if (recipients === 'broadcast') {
          users = await allUsers(deps.catalog);
        } else {
          if (!entityRefs.length) {
            throw new InputError(
              'input.entityRefs: recipients is "entity" but no entity refs were given',
            );
          }
          const resolved = await resolveRecipients(deps.catalog, entityRefs);
          if (resolved.missing.length) {
            ctx.logger.warn(`Recipients not in the catalog: ${resolved.missing.join(', ')}`);
          }
          users = resolved.users;
        }
        await store().send(users, SCAFFOLDER_ORIGIN, {
          title,
          ...(info !== undefined ? { description: info } : {}),
          ...(link !== undefined ? { link } : {}),
          severity: severity ?? 'normal',
          ...(scope !== undefined ? { scope } : {}),
        });
        ctx.logger.info(`Notification "${title}" sent to ${users.length} user(s)`);
        ctx.output('recipients', users);
      } catch (error) {
        if (!ctx.input.optional) throw error;
        ctx.logger.warn(`Notification not sent (optional): ${(error as Error).message}`);
      }
    },
  });
}
