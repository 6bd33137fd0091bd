/**
 * Atrium's front-end plugin API: the one file a web plugin imports from the app shell.
 *
 * A plugin is a plain object made with `definePlugin` and listed in `src/web/plugins.ts`, or
 * the default export of an external plugin's web bundle, which imports this file as
 * `@atrium/web-plugin-api` (README, "Writing a plugin"); the shell loads those at run time.
 * It can contribute:
 *
 * - `routes`: pages at a path (React Router syntax, e.g. `/catalog/:namespace/:kind/:name/:tab?`
 *   is written as two routes). The shell wraps every page in its layout.
 * - `sidebarItems`: links in the sidebar, sorted by `order` (Home is 0, then 10, 20, …).
 * - `entityTabs`: tabs on the entity page (`/catalog/:namespace/:kind/:name/<path>`), for every
 *   kind or only the kinds listed (lower case, e.g. `['api']`).
 * - `entityCards`: cards on the entity page's Overview tab, for every kind or some kinds.
 * - `homeCards`: cards on the home page.
 * - `searchBox`: the search box the shell shows in the top bar and on the home page. The
 *   first installed plugin that provides one wins; without one the shell's own box filters
 *   the catalog by name.
 * - `topBarItems`: components in the top bar, after the search box (the signed-in user).
 * - `appGate`: wraps the whole app; may show something else instead (the sign-in page) and
 *   provides the identity `useIdentity` returns (who is signed in, for "owned by me" views).
 *   The first installed plugin's gate is used.
 * - `catalogColumns`: columns of the catalog explorer's table, after its own. Each renders one
 *   row's cell from the row's entity (only the fields the explorer asks for: kind, metadata,
 *   spec.type/owner/lifecycle), and may hide itself with a `useShown` hook (scorecard levels
 *   show only when some scorecard exists). Read them with `useCatalogColumns`.
 * - `catalogFilters`: filters of the catalog explorer, after its own. Each owns one URL
 *   parameter of the explorer, renders its control (a labelled `<select>`, like the others),
 *   and turns a chosen value into a catalog API filter (`toFilter`, e.g.
 *   `scorecard.production-readiness.level=Gold`) that the explorer joins to its own.
 *
 * The design system comes with it: kinds drawn one way everywhere (`KindIcon`, `KindBadge`,
 * `kindLook`), icons for Backstage link icon names (`LinkIcon`), Radix-based `WithTooltip`,
 * `Disclosure` and `Menu` (popups drawn inside the landmark that opens them:
 * `useLandmarkContainer`), and the user's starred entities (`useStarredEntities`).
 *
 * The server's file paths (`file:` locations, a problem's file) are shown with
 * `displayLocation` and its neighbours: relative to a location, never whole.
 *
 * Plugins reach the backend with `fetchJson` (errors name the failed request), show entity refs
 * by their targets' titles with `useRefTarget`/`useRefLabels` (batched and cached), ask what the
 * caller may do with `usePermissions`, say why a request was refused with `explainError`, and
 * set the document title with `usePageTitle`. The built-in catalog pages are registered through this
 * API exactly as a third-party plugin would be (see `src/plugins/catalog/web/index.tsx`).
 */
import { type ComponentType, createContext, type ReactNode, useContext, useEffect } from 'react';
import { useSearchParams } from 'react-router-dom';
import type { Entity } from '../model/entity.ts';

export {
  ApiError,
  csrfHeaders,
  fetchJson,
  queryString,
  SESSION_ENDED_EVENT,
} from './api-client.ts';
export {
  loadRefTarget,
  type RefTarget,
  type ResolvedRef,
  refLabel,
  resolveRef,
  useRefLabels,
  useRefTarget,
} from './entity-refs.ts';
export {
  KindBadge,
  KindIcon,
  type KindIconProps,
  type KindLook,
  KNOWN_KINDS,
  kindLook,
} from './kinds.tsx';
export { LinkIcon, linkIcon } from './link-icons.tsx';
export {
  displayLocation,
  displayLocationRef,
  displayMessage,
  displayPath,
  isLocationAnnotation,
  isServerPath,
  LOCATION_ANNOTATIONS,
  locationBase,
  locationDirectory,
  withDisplayedLocations,
} from './location-display.ts';
export { readStarred, setStarred, useStarredEntities } from './starred.ts';
export {
  Disclosure,
  Menu,
  MenuItem,
  ScrollArea,
  useLandmarkContainer,
  useScrollable,
  WithTooltip,
} from './ui.tsx';
export {
  type Denial,
  denialOf,
  explainError,
  type PermissionAnswer,
  type PermissionQuestion,
  usePermissions,
} from './permissions.ts';

/** A page. `path` is a React Router path; `element` renders it. */
export interface PluginRoute {
  path: string;
  component: ComponentType;
}

export interface SidebarItem {
  /** Link target, may carry a query string (`/catalog?kind=api`). */
  to: string;
  label: string;
  /** Lower comes first. Home is 0. */
  order?: number;
  /** Shown only to callers this permission is not denied to (e.g. `permission.policy.read`). */
  permission?: string;
  /** Drawn before the label (decoration: the label names the item); a lucide icon fits. */
  icon?: ComponentType<{ size?: number; 'aria-hidden'?: boolean }>;
}

export interface EntityContentProps {
  entity: Entity;
}

export interface EntityTab {
  /** Path segment after the entity (`relations` → `/catalog/default/component/x/relations`). */
  path: string;
  title: string;
  /** Lower-case kinds this tab appears for; all kinds when omitted. */
  kinds?: string[];
  order?: number;
  component: ComponentType<EntityContentProps>;
}

export interface EntityCard {
  id: string;
  /** Lower-case kinds this card appears for; all kinds when omitted. */
  kinds?: string[];
  order?: number;
  component: ComponentType<EntityContentProps>;
}

export interface HomeCard {
  id: string;
  order?: number;
  component: ComponentType;
}

/** Props the shell passes to the search box: a unique element id, and `large` on the home page. */
export interface SearchBoxProps {
  id: string;
  large?: boolean;
  /** The key that focuses this box from anywhere (the top bar's `/`): its aria-keyshortcuts. */
  shortcut?: string;
}

/** What a catalog explorer column's cell gets: the row's entity, with the explorer's fields. */
export interface CatalogCellProps {
  entity: Entity;
}

export interface CatalogColumn {
  id: string;
  /** Column header. */
  title: string;
  order?: number;
  /** The content of one row's cell. */
  component: ComponentType<CatalogCellProps>;
  /**
   * A hook saying whether the column is shown at all; shown when omitted. Called on every
   * render of the explorer, so it must follow the rules of hooks (no condition around it).
   */
  useShown?: () => boolean;
}

/** What a catalog explorer filter's control gets: its parameter's value ('' for none). */
export interface CatalogFilterProps {
  value: string;
  /** Sets the parameter ('' removes it) and sends the explorer back to its first page. */
  onChange(value: string): void;
}

export interface CatalogFilter {
  /** The explorer URL parameter holding the value; must differ from the explorer's own. */
  param: string;
  order?: number;
  /** The control, usually a `<label>` around a `<select>`; may render nothing. */
  component: ComponentType<CatalogFilterProps>;
  /**
   * The catalog API filter (`key=value[,key=value]`) that a value stands for, or undefined
   * for a value that means nothing (it is then ignored).
   */
  toFilter(value: string): string | undefined;
}

export interface WebPlugin {
  id: string;
  routes?: PluginRoute[];
  sidebarItems?: SidebarItem[];
  entityTabs?: EntityTab[];
  entityCards?: EntityCard[];
  homeCards?: HomeCard[];
  searchBox?: ComponentType<SearchBoxProps>;
  topBarItems?: TopBarItem[];
  appGate?: ComponentType<{ children: ReactNode }>;
  catalogColumns?: CatalogColumn[];
  catalogFilters?: CatalogFilter[];
}

/** A component in the top bar, sorted by `order`. */
export interface TopBarItem {
  id: string;
  order?: number;
  component: ComponentType;
}

/** Declares a web plugin (identity function, for type checking). */
export function definePlugin(plugin: WebPlugin): WebPlugin {
  return plugin;
}

/**
 * An external plugin whose web bundle the shell could not load or register (the shell shows
 * it in a banner and on the Plugins page, and keeps working without it).
 */
export interface PluginLoadFailure {
  /** The plugin's id; null when the list of plugins itself could not be fetched. */
  id: string | null;
  /** One sentence naming the plugin, its package and what went wrong. */
  message: string;
}

/** Everything all installed plugins contribute, sorted. */
export interface Extensions {
  plugins: WebPlugin[];
  /** External plugins that failed to load, in the order `GET /api/plugins` lists them. */
  failures: PluginLoadFailure[];
  routes: PluginRoute[];
  sidebarItems: SidebarItem[];
  entityTabs: EntityTab[];
  entityCards: EntityCard[];
  homeCards: HomeCard[];
  /** The first plugin's search box, if any plugin has one. */
  searchBox?: ComponentType<SearchBoxProps>;
  topBarItems: TopBarItem[];
  /** The first plugin's gate, if any plugin has one. */
  appGate?: ComponentType<{ children: ReactNode }>;
  catalogColumns: CatalogColumn[];
  catalogFilters: CatalogFilter[];
}

const byOrder = <T extends { order?: number }>(a: T, b: T) => (a.order ?? 100) - (b.order ?? 100);

export function collectExtensions(
  plugins: WebPlugin[],
  failures: PluginLoadFailure[] = [],
): Extensions {
  return {
    plugins,
    failures,
    routes: plugins.flatMap((p) => p.routes ?? []),
    sidebarItems: plugins.flatMap((p) => p.sidebarItems ?? []).sort(byOrder),
    entityTabs: plugins.flatMap((p) => p.entityTabs ?? []).sort(byOrder),
    entityCards: plugins.flatMap((p) => p.entityCards ?? []).sort(byOrder),
    homeCards: plugins.flatMap((p) => p.homeCards ?? []).sort(byOrder),
    searchBox: plugins.find((p) => p.searchBox)?.searchBox,
    topBarItems: plugins.flatMap((p) => p.topBarItems ?? []).sort(byOrder),
    appGate: plugins.find((p) => p.appGate)?.appGate,
    catalogColumns: plugins.flatMap((p) => p.catalogColumns ?? []).sort(byOrder),
    catalogFilters: plugins.flatMap((p) => p.catalogFilters ?? []).sort(byOrder),
  };
}

export const ExtensionsContext = createContext<Extensions>(collectExtensions([]));

/** The contributions of every installed plugin (for pages that host extension slots). */
export function useExtensions(): Extensions {
  return useContext(ExtensionsContext);
}

/** The contributed catalog explorer columns that are shown now (their `useShown` hooks asked). */
export function useCatalogColumns(): CatalogColumn[] {
  const { catalogColumns } = useExtensions();
  const shown = catalogColumns.map(
    // biome-ignore lint/correctness/useHookAtTopLevel: the installed plugins never change while the app runs, so these hooks always run in the same order
    (c) => c.useShown?.() ?? true,
  );
  return catalogColumns.filter((_, i) => shown[i]);
}

/** Whether a tab or card declared for `kinds` applies to an entity of `kind`. */
export function appliesTo(kinds: string[] | undefined, kind: string): boolean {
  return !kinds || kinds.includes(kind.toLowerCase());
}

/** Sets `document.title` to `<title> | Atrium` while the calling page is shown. */
export function usePageTitle(title: string | undefined): void {
  useEffect(() => {
    document.title = title ? `${title} | Atrium` : 'Atrium';
  }, [title]);
}

/**
 * The page's query parameters and a function that changes some of them. Changes are merged
 * into the address as it is when the function runs, not as it was at the last render: two
 * changes in a row (clear the text box, then pick an owner) both land, where merging into the
 * rendered parameters would bring back the first one's old value.
 */
export function useQueryParams(): [
  URLSearchParams,
  (changes: Record<string, string | undefined>, options?: { replace?: boolean }) => void,
] {
  const [params, setParams] = useSearchParams();
  const update = (
    changes: Record<string, string | undefined>,
    options?: { replace?: boolean },
  ): void => {
    const next = new URLSearchParams(window.location.search);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    setParams(next, options);
  };
  return [params, update];
}

/** Who is using the web app, as the server's session says. */
export interface WebIdentity {
  /** e.g. `user:default/alice`; `user:default/guest` for the guest. */
  userEntityRef: string;
  /** The user and every group it is in, parent groups included: what "mine" means. */
  ownershipEntityRefs: string[];
  isGuest: boolean;
  displayName?: string;
  email?: string;
  picture?: string;
}

/** The identity in an app without sign-in (no plugin provides a gate). */
export const GUEST_WEB_IDENTITY: WebIdentity = {
  userEntityRef: 'user:default/guest',
  ownershipEntityRefs: ['user:default/guest'],
  isGuest: true,
  displayName: 'Guest',
};

export const IdentityContext = createContext<WebIdentity>(GUEST_WEB_IDENTITY);

/** The signed-in user (or the guest), for "owned by me" views. */
export function useIdentity(): WebIdentity {
  return useContext(IdentityContext);
}
