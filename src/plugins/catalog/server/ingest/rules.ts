import { minimatch } from 'minimatch';

export type AllowEntry = string | { kind: string; 'spec.type'?: string };

export interface CatalogRule {
  allow: AllowEntry[];
  locations?: Array<{ type: string; exact?: string; pattern?: string }>;
}

/**
 * `catalog.rules` (COMPAT.md §5.7), matched against the root location. Atrium's one
 * departure: with no rules configured at all, every kind is allowed, so a new user pointing
 * Atrium at their files sees all of them.
 */
export class RuleSet {
  constructor(
    private readonly global: CatalogRule[] | undefined,
    private readonly perLocation: CatalogRule[] = [],
  ) {}

  isAllowed(kind: string, specType: unknown, location: { type: string; target: string }): boolean {
    if (this.global === undefined && this.perLocation.length === 0) return true;
    const rules = [
      ...(this.global ?? []).filter(
        (rule) => !rule.locations || rule.locations.some((l) => matchesLocation(l, location)),
      ),
      ...this.perLocation,
    ];
    return rules.some((rule) => rule.allow.some((entry) => matchesKind(entry, kind, specType)));
  }

  describe(location: { type: string; target: string }): string {
    const kinds = [
      ...(this.global ?? []).filter(
        (r) => !r.locations || r.locations.some((l) => matchesLocation(l, location)),
      ),
      ...this.perLocation,
    ].flatMap((r) =>
      r.allow.map((a) =>
        typeof a === 'string'
          ? a
          : `${a.kind}${a['spec.type'] ? `(spec.type=${a['spec.type']})` : ''}`,
      ),
    );
    return kinds.length ? kinds.join(', ') : 'none';
  }
}

function matchesKind(entry: AllowEntry, kind: string, specType: unknown): boolean {
  if (typeof entry === 'string') return entry.toLowerCase() === kind.toLowerCase();
  if (entry.kind.toLowerCase() !== kind.toLowerCase()) return false;
  const wanted = entry['spec.type'];
  return (
    wanted === undefined ||
    (typeof specType === 'string' && specType.toLowerCase() === wanted.toLowerCase())
  );
}

function matchesLocation(
  rule: { type: string; exact?: string; pattern?: string },
  location: { type: string; target: string },
) {
  if (rule.type !== location.type) return false;
  if (rule.exact !== undefined) return rule.exact === location.target;
  if (rule.pattern !== undefined) return minimatch(location.target, rule.pattern, { nocase: true });
  return true;
}
