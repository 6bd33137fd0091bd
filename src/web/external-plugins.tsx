import { useQuery } from '@tanstack/react-query';
import { Component, type ComponentType, type ReactNode, useMemo } from 'react';
import type { PluginInfo } from '../plugins/plugin-manager/common/index.ts';
import { ApiError, fetchJson } from './api-client.ts';
import { checkWebPlugin, takenPaths } from './external-plugin-shape.ts';
import {
  collectExtensions,
  ExtensionsContext,
  type PluginLoadFailure,
  useExtensions,
  type WebPlugin,
} from './plugin-api.ts';

/** A plugin as `GET /api/plugins` lists it: the fields the shell needs. */
export type ListedPlugin = Pick<PluginInfo, 'id' | 'package' | 'version' | 'webUrl'> &
  Partial<Pick<PluginInfo, 'builtin'>>;

export interface LoadedPlugins {
  plugins: WebPlugin[];
  failures: PluginLoadFailure[];
}

export const EXTERNAL_PLUGINS_KEY = ['external-web-plugins'];

const named = (p: ListedPlugin) => `Plugin ${p.id} (${p.package} ${p.version})`;
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Shows an error naming the plugin instead of its component when that component throws. */
class PluginBoundary extends Component<
  { pluginId: string; children: ReactNode },
  { error?: unknown }
> {
  override state: { error?: unknown } = {};
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  override render() {
    if (this.state.error === undefined) return this.props.children;
    return (
      <div className="state state-error" role="alert">
        Plugin <strong>{this.props.pluginId}</strong> failed: {messageOf(this.state.error)}
      </div>
    );
  }
}

function guard<P extends object>(pluginId: string, Inner: ComponentType<P>): ComponentType<P> {
  const Guarded = (props: P) => (
    <PluginBoundary pluginId={pluginId}>
      <Inner {...props} />
    </PluginBoundary>
  );
  Guarded.displayName = `Plugin(${pluginId})`;
  return Guarded;
}

/** The plugin with every component it contributes behind an error boundary naming it. */
function guarded(plugin: WebPlugin): WebPlugin {
  const g = <T extends { component: unknown }>(items: T[] | undefined): T[] | undefined =>
    items?.map((item) => ({
      ...item,
      component: guard(plugin.id, item.component as ComponentType<object>),
    }));
  return {
    ...plugin,
    routes: g(plugin.routes),
    entityTabs: g(plugin.entityTabs),
    entityCards: g(plugin.entityCards),
    homeCards: g(plugin.homeCards),
    topBarItems: g(plugin.topBarItems),
    catalogColumns: g(plugin.catalogColumns),
    catalogFilters: g(plugin.catalogFilters),
  };
}

/**
 * Imports every listed plugin's web bundle (in parallel), checks its default export and keeps
 * those that load, in list order. A bundle that fails to import, has the wrong shape, or takes
 * an id or path another plugin has becomes a failure naming it; the others load regardless.
 */
export async function loadExternalWebPlugins(
  listed: ListedPlugin[],
  builtIn: WebPlugin[],
  importBundle: (url: string) => Promise<unknown> = (url) => import(/* @vite-ignore */ url),
): Promise<LoadedPlugins> {
  const withWeb = listed.filter((p) => p.webUrl);
  const settled = await Promise.allSettled(
    withWeb.map(async (p) => checkWebPlugin(await importBundle(p.webUrl!), p.id)),
  );
  const plugins: WebPlugin[] = [];
  const failures: PluginLoadFailure[] = [];
  const taken = [...builtIn];
  settled.forEach((result, i) => {
    const listing = withWeb[i]!;
    const refuse = (why: string) =>
      failures.push({ id: listing.id, message: `${named(listing)}: ${why}` });
    if (result.status === 'rejected') {
      refuse(`its web bundle ${listing.webUrl} failed to load: ${messageOf(result.reason)}`);
      return;
    }
    const plugin = result.value;
    if (taken.some((other) => other.id === plugin.id)) {
      refuse(`another web plugin has the id '${plugin.id}'`);
      return;
    }
    const clashes = takenPaths(plugin, taken);
    if (clashes.length) {
      refuse(`it takes ${clashes.join(', ')}, which another plugin has`);
      return;
    }
    taken.push(plugin);
    plugins.push(guarded(plugin));
  });
  return { plugins, failures };
}

/** The external plugins of a `GET /api/plugins` answer (an array), refusing another shape. */
export function listedPlugins(body: unknown): ListedPlugin[] {
  if (!Array.isArray(body)) throw new Error('GET /api/plugins did not answer with a list');
  return body.filter(
    (item): item is ListedPlugin =>
      typeof item === 'object' &&
      item !== null &&
      typeof (item as ListedPlugin).id === 'string' &&
      !(item as ListedPlugin).builtin,
  );
}

async function fetchAndLoad(builtIn: WebPlugin[], signal: AbortSignal): Promise<LoadedPlugins> {
  let listed: ListedPlugin[];
  try {
    listed = listedPlugins(await fetchJson('/api/plugins', { signal }));
  } catch (error) {
    // A policy may keep the list from some callers (403), and a server without the plugin
    // manager has no external plugins (404): both get the built-in app, no alarm.
    if (error instanceof ApiError && (error.status === 403 || error.status === 404))
      return { plugins: [], failures: [] };
    throw error;
  }
  if (listed.some((p) => p.webUrl)) {
    // Only an app with plugin bundles loads the shared modules' every export (≈50 kB gzipped).
    const { installSharedModules } = await import('./shared-modules.ts');
    installSharedModules();
  }
  return loadExternalWebPlugins(listed, builtIn);
}

/**
 * Inside the sign-in gate (the identity is known, so `GET /api/plugins` answers): loads the
 * external plugins' web bundles and provides the built-in and external extensions together.
 * The app waits for them, so a deep link to a plugin's page does not flash "not found".
 */
export function ExternalPlugins({
  builtIn,
  children,
}: {
  builtIn: WebPlugin[];
  children: ReactNode;
}) {
  const loaded = useQuery({
    queryKey: EXTERNAL_PLUGINS_KEY,
    queryFn: ({ signal }) => fetchAndLoad(builtIn, signal),
    staleTime: Number.POSITIVE_INFINITY,
    retry: false,
  });
  const extensions = useMemo(() => {
    if (loaded.error) {
      return collectExtensions(builtIn, [
        { id: null, message: `External plugins were not loaded: ${messageOf(loaded.error)}` },
      ]);
    }
    const { plugins = [], failures = [] } = loaded.data ?? {};
    return collectExtensions([...builtIn, ...plugins], failures);
  }, [builtIn, loaded.data, loaded.error]);
  if (loaded.isPending) {
    return (
      <div className="state" role="status" aria-busy="true">
        Loading plugins…
      </div>
    );
  }
  return <ExtensionsContext.Provider value={extensions}>{children}</ExtensionsContext.Provider>;
}

/** The shell's banner of plugins that failed to load; nothing when all loaded. */
export function PluginFailures() {
  const { failures } = useExtensions();
  if (!failures.length) return null;
  return (
    <div className="state state-error plugin-failures" role="alert">
      {failures.map((failure) => (
        <p key={failure.id ?? ''}>{failure.message}</p>
      ))}
    </div>
  );
}
