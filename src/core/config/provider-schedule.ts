import { parseDuration } from './duration.ts';
import type { SchemaNode } from './schema.ts';

/**
 * The `schedule` of a catalog discovery provider, in Backstage's form
 * (`{frequency, timeout, initialDelay, scope}`), shared by the GitHub, GitHub org and GitLab
 * providers so that they accept and document the same thing.
 */
export interface ProviderScheduleConfig {
  /** Between two runs; null: only at start and on demand (`frequency: false`). */
  frequencyMs: number | null;
  timeoutMs: number;
  initialDelayMs: number;
}

export const PROVIDER_DURATION_VALID =
  'a duration: a number of seconds, an ISO-8601 duration (PT5M), a string like 30s, 5m or 1h, or an object like {minutes: 5}';

/** A duration key of a provider's config, documented the way the config reference shows it. */
export const providerDuration = (description: string, extra: SchemaNode = {}): SchemaNode => ({
  'x-duration': true,
  'x-type': 'duration',
  'x-valid': PROVIDER_DURATION_VALID,
  description,
  ...extra,
});

const TIMEOUT_DEFAULT = { minutes: 15 };

export interface ScheduleDefaults {
  /** `{minutes: 30}`; and how the reference shows it (`30 minutes`). */
  frequency: Record<string, number>;
  frequencyText: string;
  /** `scan` or `read`: what one run of this provider is called in the descriptions. */
  run: string;
}

export function providerScheduleSchema(
  description: string,
  defaults: ScheduleDefaults,
): SchemaNode {
  const { run } = defaults;
  return {
    type: 'object',
    description,
    properties: {
      frequency: {
        ...providerDuration(
          `Time between two ${run}s; \`false\` ${run}s only at start and on demand. Cron expressions are not supported.`,
          { default: defaults.frequency, 'x-default-text': defaults.frequencyText },
        ),
        'x-type': 'duration | false',
        'x-valid': `${PROVIDER_DURATION_VALID}, or false`,
      },
      timeout: providerDuration(`A ${run} taking longer is stopped.`, {
        default: TIMEOUT_DEFAULT,
        'x-default-text': '15 minutes',
      }),
      initialDelay: providerDuration(`Wait after start before the first ${run}.`, {
        'x-default-text': 'none',
      }),
      scope: {
        type: 'string',
        enum: ['global', 'local'],
        description: `Accepted for Backstage configs; a ${run} always runs on one replica at a time.`,
      },
    },
  };
}

/** The validated `schedule` object (or its absence) in milliseconds, defaults filled in. */
export function normalizeProviderSchedule(
  value: unknown,
  defaults: Pick<ScheduleDefaults, 'frequency'>,
): ProviderScheduleConfig {
  const schedule = (value ?? {}) as Record<string, unknown>;
  return {
    frequencyMs: parseDuration(schedule.frequency ?? defaults.frequency),
    timeoutMs:
      parseDuration(schedule.timeout ?? TIMEOUT_DEFAULT) ??
      (parseDuration(TIMEOUT_DEFAULT) as number),
    initialDelayMs:
      schedule.initialDelay === undefined ? 0 : (parseDuration(schedule.initialDelay) ?? 0),
  };
}
