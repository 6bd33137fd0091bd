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
        {text(info.description) && <p className="prose">{text(info.description)}</p>}
        {Object.entries(servers).map(([name, server]) =>
          isObject(server) ? (
            <p key={name}>
              Server <code>{name}</code>: <code>{text(server.url) ?? text(server.host)}</code>{' '}
              <span className="muted">{text(server.protocol)}</span>
            </p>
          ) : null,
        )}
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
              {text(channel.description) && <p className="prose">{text(channel.description)}</p>}
              {(['publish', 'subscribe'] as const).map((op) => {
                const operation = channel[op];
                if (!isObject(operation)) return null;
                return (
                  <div key={op}>
                    <h3>
                      {op} {text(operation.summary) ?? ''}
                    </h3>
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
      <SchemaView schema={message.payload} />
    </div>
  );
}
