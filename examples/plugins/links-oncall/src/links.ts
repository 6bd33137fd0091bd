import type { Entity } from '@atrium/plugin-api';

/** The annotations this plugin reads. */
export const ON_CALL_ANNOTATION = 'atrium.io/on-call';
export const ESCALATION_ANNOTATION = 'atrium.io/escalation-channel';

/** What the card shows for one entity (the answer of GET /api/links-oncall/entity/…). */
export interface LinksAndOnCall {
  entityRef: string;
  /** The on-call schedule or pager page. */
  onCall: string | null;
  /** Where to escalate, and whether the entity or the plugin's config says so. */
  escalation: { channel: string; from: 'annotation' | 'config' } | null;
  links: Array<{ url: string; title: string; type?: string }>;
  /** What the entity declares that the card does not show, and why. */
  problems: string[];
}

const SHOWN_SCHEMES = new Set(['http:', 'https:', 'mailto:']);

/** A link the browser may follow from a card: http(s) or mailto, never `javascript:`. */
function safeUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return SHOWN_SCHEMES.has(new URL(value).protocol) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Links, on-call and escalation of an entity, from its annotations and `metadata.links`. */
export function linksAndOnCall(
  entity: Entity,
  entityRef: string,
  defaultEscalationChannel: string | undefined,
): LinksAndOnCall {
  const annotations = entity.metadata.annotations ?? {};
  const problems: string[] = [];
  const onCallValue = annotations[ON_CALL_ANNOTATION];
  const onCall = safeUrl(onCallValue) ?? null;
  if (onCallValue !== undefined && !onCall)
    problems.push(`annotation ${ON_CALL_ANNOTATION}: must be an http(s) URL, got '${onCallValue}'`);
  const channel = annotations[ESCALATION_ANNOTATION]?.trim();
  const escalation = channel
    ? { channel, from: 'annotation' as const }
    : defaultEscalationChannel
      ? { channel: defaultEscalationChannel, from: 'config' as const }
      : null;
  const links: LinksAndOnCall['links'] = [];
  (entity.metadata.links ?? []).forEach((link, i) => {
    const url = safeUrl(link.url);
    if (!url) {
      problems.push(`metadata.links[${i}].url: only http, https and mailto links are shown`);
      return;
    }
    links.push({ url, title: link.title || url, ...(link.type ? { type: link.type } : {}) });
  });
  return { entityRef, onCall, escalation, links, problems };
}
