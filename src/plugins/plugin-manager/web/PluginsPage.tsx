import { useQuery } from '@tanstack/react-query';
import { fetchJson, usePageTitle, useExtensions, ScrollArea } from '../../../web/plugin-api.ts';
import { ErrorState, Loading } from '../../catalog/web/shared.tsx';
import type { PluginInfo } from '../common/index.ts';

/** How one plugin's web side stands in this browser: compiled in, loaded, failed or none. */
function webStatus(
  plugin: PluginInfo,
  loaded: Set<string>,
  failures: Map<string, string>,
): { text: string; error?: string } {
  if (plugin.builtin) return { text: loaded.has(plugin.id) ? 'compiled in' : '—' };
  if (!plugin.webUrl) return { text: '—' };
  const failure = failures.get(plugin.id);
  if (failure) return { text: 'failed', error: failure };
  return { text: loaded.has(plugin.id) ? 'loaded' : 'not loaded' };
}

function PluginRow({
  plugin,
  loaded,
  failures,
}: {
  plugin: PluginInfo;
  loaded: Set<string>;
  failures: Map<string, string>;
}) {
  const web = webStatus(plugin, loaded, failures);
  return (
    <tr data-plugin={plugin.id}>
      <th scope="row">
        <code>{plugin.id}</code>
      </th>
      <td>{plugin.builtin ? 'built in' : <code>{plugin.source}</code>}</td>
      <td>
        {plugin.package} {plugin.version}
      </td>
      <td>{plugin.location ? <code>{plugin.location}</code> : '—'}</td>
      <td className="plugin-integrity">
        {plugin.integrity ? <code title={plugin.integrity}>{plugin.integrity}</code> : '—'}
      </td>
      <td>{plugin.apiVersion}</td>
      <td>{plugin.backend ? 'yes' : '—'}</td>
      <td>
        {web.error ? (
          <span className="level-error" title={web.error}>
            {web.text}
          </span>
        ) : (
          web.text
        )}
      </td>
    </tr>
  );
}

/** Administration → Plugins: what this Atrium loads, from where, at which version and hash. */
export function PluginsPage() {
  usePageTitle('Plugins');
  const { plugins: webPlugins, failures } = useExtensions();
  const list = useQuery({
    queryKey: ['plugin-manager', 'plugins'],
    queryFn: ({ signal }) => fetchJson<PluginInfo[]>('/api/plugins', { signal }),
  });
  const loaded = new Set(webPlugins.map((p) => p.id));
  const failed = new Map(
    failures.flatMap((f) => (f.id ? [[f.id, f.message] as [string, string]] : [])),
  );
  const external = list.data?.filter((p) => !p.builtin) ?? [];
  return (
    <div className="page">
      <h1>Plugins</h1>
      <p className="muted">
        Built-in plugins are compiled into Atrium; external ones are listed under{' '}
        <code>plugins:</code> in app-config.yaml and loaded at start. Integrity is the hash of the
        package tarball the server checked.
      </p>
      {list.isPending && <Loading what="plugins" />}
      {list.isError && <ErrorState error={list.error} retry={() => void list.refetch()} />}
      {list.data && (
        <>
          <p>
            {list.data.length - external.length} built in, {external.length} external.
          </p>
          <ScrollArea label="Plugins">
            <table className="plugins-table" data-testid="plugins-table">
              <caption className="visually-hidden">Plugins loaded by this server</caption>
              <thead>
                <tr>
                  <th scope="col">Plugin</th>
                  <th scope="col">Source</th>
                  <th scope="col">Package</th>
                  <th scope="col">Location</th>
                  <th scope="col">Integrity</th>
                  <th scope="col">API version</th>
                  <th scope="col">Backend</th>
                  <th scope="col">Web</th>
                </tr>
              </thead>
              <tbody>
                {[...external, ...list.data.filter((p) => p.builtin)].map((plugin) => (
                  <PluginRow key={plugin.id} plugin={plugin} loaded={loaded} failures={failed} />
                ))}
              </tbody>
            </table>
          </ScrollArea>
        </>
      )}
    </div>
  );
}
