import { Markdown } from './markdown.tsx';
import { type Server, ServerList } from './servers.tsx';
import { isObject, type JsonObject, NamedSchemas, SchemaView, text } from './schema.tsx';

/** AsyncAPI 2.x and 3.x: servers, channels with their operations and message payloads. */
export function AsyncApiView({ doc }: { doc: JsonObject }) {
  const info = isObject(doc.info) ? doc.info : {};
  const servers = isObject(doc.servers) ? doc.servers : {};
  const channels = isObject(doc.channels) ? doc.channels : {};
  const components = isObject(doc.components) ? doc.components : {};
  return (
    <div className="api-doc" data-testid="asyncapi">
      <section className="card">
        <h2>
          {text(info.title) ?? 'API'} <span className="badge">{text(info.version) ?? ''}</span>{' '}
          <span className="muted">AsyncAPI {text(doc.asyncapi) ?? ''}</span>
        </h2>
        <Markdown source={info.description} />
        <ServerList servers={serverList(servers)} />
      </section>
      <section className="card">
        <h2>Channels</h2>
        {Object.entries(channels).map(([name, channel]) =>
          isObject(channel) ? (
            <details key={name} className="operation">
              <summary>
                <code>{text(channel.address) ?? name}</code>{' '}
                {(['publish', 'subscribe'] as const)
                  .filter((op) => isObject(channel[op]))
                  .map((op) => (
                    <span key={op} className={`method method-${op}`}>
                      {op}
                    </span>
                  ))}
              </summary>
              <Markdown source={channel.description} />
              {(['publish', 'subscribe'] as const).map((op) => {
                const operation = channel[op];
                if (!isObject(operation)) return null;
                return (
                  <div key={op}>
                    <h3>
                      {op} {text(operation.summary) ?? ''}
                    </h3>
                    <Markdown source={operation.description} />
                    {messagesOf(operation.message, components).map((message, i) => (
                      // biome-ignore lint/suspicious/noArrayIndexKey: oneOf messages have no identity
                      <Message key={i} message={message} />
                    ))}
                  </div>
                );
              })}
              {isObject(channel.messages) &&
                Object.entries(channel.messages).map(([id, message]) => (
                  <Message key={id} message={resolve(message, components)} />
                ))}
            </details>
          ) : null,
        )}
      </section>
      <NamedSchemas schemas={components.schemas} />
    </div>
  );
}

/** AsyncAPI 2 servers have a `url`; 3.0 splits it into `host` and `pathname`. */
function serverList(servers: JsonObject): Server[] {
  return Object.entries(servers).flatMap(([name, server]) =>
    isObject(server)
      ? [
          {
            name,
            url: text(server.url) ?? `${text(server.host) ?? ''}${text(server.pathname) ?? ''}`,
            protocol: text(server.protocol),
            description: text(server.description),
          },
        ]
      : [],
  );
}

function resolve(value: unknown, components: JsonObject): unknown {
  if (isObject(value) && typeof value.$ref === 'string') {
    const [, , section, name] = value.$ref.split('/');
    const group = section ? components[section] : undefined;
    return isObject(group) && name ? group[name] : value;
  }
  return value;
}

function messagesOf(message: unknown, components: JsonObject): JsonObject[] {
  const resolved = resolve(message, components);
  if (isObject(resolved) && Array.isArray(resolved.oneOf)) {
    return resolved.oneOf.map((m) => resolve(m, components)).filter(isObject);
  }
  return isObject(resolved) ? [resolved] : [];
}

function Message({ message }: { message: unknown }) {
  if (!isObject(message)) return null;
  return (
    <div className="message">
      <p>
        Message <code>{text(message.name) ?? text(message.title) ?? 'message'}</code>{' '}
        <span className="muted">{text(message.contentType)}</span>
      </p>
      {text(message.summary) && <p className="muted">{text(message.summary)}</p>}
      <Markdown source={message.description} />
      <SchemaView schema={message.payload} />
    </div>
  );
}
