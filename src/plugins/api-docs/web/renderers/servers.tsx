import { Markdown } from './markdown.tsx';

export interface Server {
  url: string;
  /** AsyncAPI names its servers. */
  name?: string;
  protocol?: string;
  description?: string;
}

/** One server a line: its URL, then its description. */
export function ServerList({ servers }: { servers: Server[] }) {
  if (servers.length === 0) return null;
  return (
    <>
      <h3 className="servers-heading">Servers</h3>
      <ul className="servers" data-testid="servers">
        {servers.map((server, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: two servers may share a URL
          <li key={i}>
            <code>{server.url}</code>
            {(server.name || server.protocol) && (
              <span className="muted">
                {' '}
                {[server.name, server.protocol].filter(Boolean).join(' · ')}
              </span>
            )}
            <Markdown source={server.description} className="server-description" />
          </li>
        ))}
      </ul>
    </>
  );
}
