/**
 * Icons of the sidebar items of the built-in plugins, by link target, for items that bring no
 * `icon` of their own. Kind pages (`/apis`, `/catalog?kind=api`) take their kind's icon.
 */
import {
  BookOpen,
  CircleDot,
  Gauge,
  HeartPulse,
  House,
  LibraryBig,
  type LucideIcon,
  Puzzle,
  ScrollText,
  Search,
  Settings,
  ShieldCheck,
  SquarePlus,
} from 'lucide-react';
import { kindLook } from './kinds.tsx';

const BY_TARGET: Record<string, LucideIcon> = {
  '/': House,
  '/search': Search,
  '/catalog': LibraryBig,
  '/apis': kindLook('api').icon,
  '/docs': BookOpen,
  '/create': SquarePlus,
  '/scorecards': Gauge,
  '/catalog-health': HeartPulse,
  '/audit': ScrollText,
  '/admin/access': ShieldCheck,
  '/admin/plugins': Puzzle,
  '/settings/tokens': Settings,
};

/** The icon for a sidebar link target; a neutral dot for targets it does not know. */
export function sidebarIcon(to: string): LucideIcon {
  const known = BY_TARGET[to];
  if (known) return known;
  const kind = /^\/catalog\?kind=([\w-]+)$/i.exec(to)?.[1];
  return kind ? kindLook(kind).icon : CircleDot;
}
