import { createHash } from 'node:crypto';

// Computed from COMPAT.md, not from src/, so the tests check the server independently.

export const ALL_KINDS = [
  'Component',
  'API',
  'Resource',
  'System',
  'Domain',
  'Group',
  'User',
  'Location',
];

/** `location:default/generated-<sha1 of "<type>:<target>">` (COMPAT.md §5.2). */
export function generatedRef(type: string, target: string): string {
  return `location:default/generated-${createHash('sha1').update(`${type}:${target}`).digest('hex')}`;
}

/** The canonical lowercase `kind:namespace/name` of an entity. */
export function refOf(entity: {
  kind?: string;
  metadata?: { namespace?: string; name?: string };
}): string {
  return `${entity.kind}:${entity.metadata?.namespace ?? 'default'}/${entity.metadata?.name}`.toLowerCase();
}
