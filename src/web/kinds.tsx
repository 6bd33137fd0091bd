/**
 * The one place that says how an entity kind looks: its icon, its display name and its colour.
 * Every page that shows a kind (sidebar, catalog rows, entity header, search results, graph
 * nodes, entity ref links) draws it from here, so a Component looks the same everywhere.
 * Colours are CSS custom properties (`--kind-component`, … in styles.css, per theme): an
 * element with `data-kind="<kind>"` and the class `kind-tinted` gets `--kind` set to its
 * kind's colour, and no colour is written as an inline style.
 */
import {
  Box,
  CircleDashed,
  Database,
  Globe,
  Layers,
  type LucideIcon,
  MapPin,
  Plug,
  User,
  Users,
  WandSparkles,
} from 'lucide-react';

export interface KindLook {
  /** Lower-case kind, also the `data-kind` value the CSS colours by. */
  id: string;
  /** How the kind is named to people ("API", "Component"). */
  label: string;
  icon: LucideIcon;
}

const KNOWN: Record<string, Omit<KindLook, 'id'>> = {
  component: { label: 'Component', icon: Box },
  api: { label: 'API', icon: Plug },
  system: { label: 'System', icon: Layers },
  domain: { label: 'Domain', icon: Globe },
  resource: { label: 'Resource', icon: Database },
  group: { label: 'Group', icon: Users },
  user: { label: 'User', icon: User },
  template: { label: 'Template', icon: WandSparkles },
  location: { label: 'Location', icon: MapPin },
};

/** The kinds with their own look, in the order the catalog lists them. */
export const KNOWN_KINDS: readonly string[] = Object.keys(KNOWN);

/** How a kind looks; a kind without its own look (a custom kind) gets a neutral one. */
export function kindLook(kind: string): KindLook {
  const id = kind.toLowerCase();
  const known = KNOWN[id];
  if (known) return { id, ...known };
  return { id: 'other', label: kind, icon: CircleDashed };
}

export interface KindIconProps {
  kind: string;
  /** Pixels; 16 by default. */
  size?: number;
  /**
   * Gives the icon the kind's name as its accessible name (`role="img"`). Leave it off where
   * the kind is already written next to the icon: there the icon is decoration.
   */
  labelled?: boolean;
  className?: string;
}

/** The kind's icon, in the kind's colour. */
export function KindIcon({ kind, size = 16, labelled = false, className }: KindIconProps) {
  const look = kindLook(kind);
  const Icon = look.icon;
  const classes = ['kind-icon', 'kind-tinted', className].filter(Boolean).join(' ');
  return labelled ? (
    <Icon size={size} className={classes} data-kind={look.id} role="img" aria-label={look.label} />
  ) : (
    <Icon size={size} className={classes} data-kind={look.id} aria-hidden />
  );
}

/**
 * A kind as a small coloured badge: icon and name (`Component`, or `Component · service`
 * with a type). The text is the kind as written, so tests and readers see the real value.
 */
export function KindBadge({ kind, type }: { kind: string; type?: string }) {
  const look = kindLook(kind);
  return (
    <span className="kind-badge kind-tinted" data-kind={look.id}>
      <KindIcon kind={kind} size={14} />
      <span>
        {kind}
        {type ? <span className="kind-badge-type"> · {type}</span> : null}
      </span>
    </span>
  );
}
