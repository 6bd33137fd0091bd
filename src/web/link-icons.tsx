/**
 * Icons for `metadata.links[].icon`. Backstage names its link icons (`dashboard`, `docs`,
 * `github`, `chat`, `email`, `help`, `kind:api`, …, the app's "system icons"); the same
 * names give the matching lucide icon here, and any other name a plain link icon.
 */
import {
  BookOpen,
  Calendar,
  CircleHelp,
  Cloud,
  CodeXml,
  ExternalLink,
  FolderGit2,
  Globe,
  ImageOff,
  LayoutDashboard,
  LibraryBig,
  type LucideIcon,
  Mail,
  MessageSquare,
  Phone,
  ScrollText,
  Search,
  Siren,
  SquarePlus,
  Star,
  TriangleAlert,
  User,
  Users,
} from 'lucide-react';
import { kindLook } from './kinds.tsx';

const BY_NAME: Record<string, LucideIcon> = {
  // Backstage's system icons
  brokenimage: ImageOff,
  catalog: LibraryBig,
  scaffolder: SquarePlus,
  techdocs: BookOpen,
  search: Search,
  chat: MessageSquare,
  dashboard: LayoutDashboard,
  docs: BookOpen,
  email: Mail,
  github: FolderGit2,
  group: Users,
  help: CircleHelp,
  user: User,
  warning: TriangleAlert,
  star: Star,
  // names catalogs commonly use besides
  alert: Siren,
  calendar: Calendar,
  cloud: Cloud,
  code: CodeXml,
  gitlab: FolderGit2,
  repository: FolderGit2,
  logs: ScrollText,
  mail: Mail,
  phone: Phone,
  web: Globe,
  website: Globe,
};

/** The icon a link's `icon` name stands for; `kind:<kind>` gives that kind's icon. */
export function linkIcon(name: string | undefined): LucideIcon {
  const key = (name ?? '').trim().toLowerCase();
  if (key.startsWith('kind:')) return kindLook(key.slice(5)).icon;
  return BY_NAME[key] ?? ExternalLink;
}

/** A link's icon, decorative (the link's title names it). */
export function LinkIcon({ name, size = 16 }: { name: string | undefined; size?: number }) {
  const Icon = linkIcon(name);
  return <Icon size={size} aria-hidden className="link-icon" />;
}
