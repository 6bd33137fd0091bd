/**
 * The graph's settings in one row above the canvas: which relations (behind a button that
 * says what is shown), depth, the roll-up as three buttons, and the colour legend.
 */
import { ChevronDown } from 'lucide-react';
import { useEffect, useRef } from 'react';
import type { Family } from './edges.ts';
import { FAMILY_LABELS } from './edges.ts';
import {
  DEPTHS,
  type Direction,
  type GraphSettings,
  groupsWith,
  LIMITS,
  RELATION_GROUPS,
  type Reach,
  type RelationGroupId,
  type Rollup,
} from './model.ts';

const REACH_LABELS: Record<Reach, string> = {
  deep: 'Follow to depth',
  near: 'Direct only',
  off: 'Hidden',
};

const ROLLUPS: Array<{ value: Rollup; label: string }> = [
  { value: 'none', label: 'Entities' },
  { value: 'system', label: 'By system' },
  { value: 'domain', label: 'By domain' },
];

const labelOf = (id: RelationGroupId) => RELATION_GROUPS.find((g) => g.id === id)!.label;

/** "APIs, Dependencies; direct: Ownership, Part of" */
export function relationSummary(settings: GraphSettings): string {
  const deep = groupsWith(settings, 'deep').map(labelOf);
  const near = groupsWith(settings, 'near').map(labelOf);
  const parts = [];
  if (deep.length) parts.push(deep.join(', '));
  if (near.length) parts.push(`direct: ${near.join(', ')}`);
  return parts.join('; ') || 'none';
}

export function GraphToolbar({
  settings,
  defaults,
  onChange,
  fetching,
}: {
  settings: GraphSettings;
  /** The entity kind's defaults, for the reset button. */
  defaults: GraphSettings;
  onChange: (next: GraphSettings) => void;
  fetching: boolean;
}) {
  const setReach = (id: RelationGroupId, reach: Reach) =>
    onChange({ ...settings, reach: { ...settings.reach, [id]: reach } });
  const isDefault = JSON.stringify(settings) === JSON.stringify(defaults);
  const summary = relationSummary(settings);
  const menu = useRef<HTMLDetailsElement>(null);
  // The menu closes on Escape and on a click elsewhere, as menus do.
  useEffect(() => {
    const close = (event: Event) => {
      const details = menu.current;
      if (!details?.open) return;
      if (event instanceof KeyboardEvent) {
        if (event.key !== 'Escape') return;
        details.open = false;
        details.querySelector('summary')?.focus();
      } else if (!details.contains(event.target as Node)) {
        details.open = false;
      }
    };
    document.addEventListener('keydown', close);
    document.addEventListener('pointerdown', close);
    return () => {
      document.removeEventListener('keydown', close);
      document.removeEventListener('pointerdown', close);
    };
  }, []);
  return (
    <form
      className="graph-toolbar"
      aria-label="Graph settings"
      onSubmit={(e) => e.preventDefault()}
    >
      <details className="graph-menu" data-testid="graph-relations" ref={menu}>
        <summary title={`Relations: ${summary}`}>
          <span className="graph-menu-title">Relations</span>
          <span className="graph-menu-value">{summary}</span>
          <ChevronDown size={16} aria-hidden />
        </summary>
        <div className="graph-menu-panel">
          <fieldset>
            <legend>Relation types</legend>
            {RELATION_GROUPS.map((g) => (
              <label key={g.id}>
                <span>{g.label}</span>
                <select
                  name={`rel-${g.id}`}
                  value={settings.reach[g.id]}
                  onChange={(e) => setReach(g.id, e.currentTarget.value as Reach)}
                >
                  {(['deep', 'near', 'off'] as const).map((r) => (
                    <option key={r} value={r}>
                      {REACH_LABELS[r]}
                    </option>
                  ))}
                </select>
              </label>
            ))}
          </fieldset>
          <label>
            <span>Direction</span>
            <select
              name="direction"
              value={settings.direction}
              onChange={(e) =>
                onChange({ ...settings, direction: e.currentTarget.value as Direction })
              }
            >
              <option value="both">Both ways</option>
              <option value="outgoing">Outgoing only</option>
            </select>
          </label>
          <label>
            <span>Node limit</span>
            <select
              name="limit"
              value={settings.limit}
              onChange={(e) => onChange({ ...settings, limit: Number(e.currentTarget.value) })}
            >
              {[...new Set([...LIMITS, settings.limit])]
                .sort((a, b) => a - b)
                .map((l) => (
                  <option key={l} value={l}>
                    {l}
                  </option>
                ))}
            </select>
          </label>
          <button
            type="button"
            className="button"
            disabled={isDefault}
            onClick={() => onChange(defaults)}
          >
            Back to the defaults
          </button>
        </div>
      </details>
      <label className="graph-depth">
        Depth{' '}
        <select
          name="depth"
          value={settings.depth}
          onChange={(e) => onChange({ ...settings, depth: Number(e.currentTarget.value) })}
        >
          {DEPTHS.map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
        </select>
      </label>
      <fieldset className="graph-segmented" aria-label="Roll up">
        {ROLLUPS.map((r) => (
          <button
            key={r.value}
            type="button"
            name="rollup"
            value={r.value}
            aria-pressed={settings.rollup === r.value}
            onClick={() => onChange({ ...settings, rollup: r.value })}
          >
            {r.label}
          </button>
        ))}
      </fieldset>
      {fetching && (
        <span className="graph-counts muted" role="status">
          Updating…
        </span>
      )}
    </form>
  );
}

/** Under the canvas: what the edge colours mean, the counts, and what a node does. */
export function GraphFooter({
  families,
  counts,
}: {
  /** Edge families drawn. */
  families: ReadonlyArray<Family | 'other'>;
  counts: { nodes: number; edges: number };
}) {
  return (
    <div className="graph-footer">
      <ul className="graph-legend" aria-label="Edge colours">
        {families.map((f) => (
          <li key={f} data-family={f}>
            <span className="graph-legend-swatch" aria-hidden />
            {FAMILY_LABELS[f]}
          </li>
        ))}
      </ul>
      <span className="muted graph-counts" data-testid="graph-info">
        {counts.nodes} nodes · {counts.edges} edges · point at a node to see its neighbours, click
        to open it
      </span>
    </div>
  );
}
