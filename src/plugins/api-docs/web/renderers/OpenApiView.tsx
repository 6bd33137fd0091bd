import { SafeLink } from '../../../catalog/web/shared.tsx';
import { Markdown } from './markdown.tsx';
import { type Server, ServerList } from './servers.tsx';
import { isObject, type JsonObject, NamedSchemas, SchemaView, text, typeLabel } from './schema.tsx';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** OpenAPI 3.x and Swagger 2.0: info, servers, every operation with parameters, bodies, responses. */
export function OpenApiView({ doc }: { doc: JsonObject }) {
  const info = isObject(doc.info) ? doc.info : {};
  const swagger = text(doc.swagger);
  const servers = serversOf(doc, Boolean(swagger));
  const paths = isObject(doc.paths) ? doc.paths : {};
  const schemas = swagger
    ? doc.definitions
    : isObject(doc.components)
      ? doc.components.schemas
      : undefined;
  return (
    <div className="api-doc" data-testid="openapi">
      <section className="card">
        <h2>
          {text(info.title) ?? 'API'} <span className="badge">{text(info.version) ?? ''}</span>{' '}
          <span className="muted">
            {swagger ? `Swagger ${swagger}` : `OpenAPI ${text(doc.openapi) ?? ''}`}
          </span>
        </h2>
        <Markdown source={info.description} />
        <ServerList servers={servers} />
        {isObject(doc.externalDocs) && (
          <SafeLink url={doc.externalDocs.url}>
            {text(doc.externalDocs.description) ?? 'Documentation'}
          </SafeLink>
        )}
      </section>
      <section className="card">
        <h2>Operations</h2>
        {Object.keys(paths).length === 0 && <p className="muted">No paths.</p>}
        {Object.entries(paths).map(([path, item]) =>
          isObject(item)
            ? METHODS.filter((m) => isObject(item[m])).map((method) => (
                <Operation
                  key={`${method} ${path}`}
                  method={method}
                  path={path}
                  op={item[method] as JsonObject}
                  shared={Array.isArray(item.parameters) ? item.parameters : []}
                  swagger={Boolean(swagger)}
                  doc={doc}
                />
              ))
            : null,
        )}
      </section>
      <NamedSchemas schemas={schemas} />
    </div>
  );
}

function Operation({
  method,
  path,
  op,
  shared,
  swagger,
  doc,
}: {
  method: string;
  path: string;
  op: JsonObject;
  shared: unknown[];
  swagger: boolean;
  doc: JsonObject;
}) {
  const parameters = [...shared, ...(Array.isArray(op.parameters) ? op.parameters : [])]
    .map((p) => deref(doc, p))
    .filter(isObject);
  const bodyParam = swagger ? parameters.find((p) => p.in === 'body') : undefined;
  const body = deref(doc, op.requestBody);
  const requestBody = isObject(body) ? body : undefined;
  const responses = isObject(op.responses) ? op.responses : {};
  return (
    <details className="operation">
      <summary>
        <span className={`method method-${method}`}>{method.toUpperCase()}</span>{' '}
        <code>{path}</code> <span>{text(op.summary) ?? ''}</span>
        {op.deprecated === true && <span className="badge">deprecated</span>}
      </summary>
      <Markdown source={op.description} />
      {parameters.filter((p) => p !== bodyParam).length > 0 && (
        <>
          <h3>Parameters</h3>
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>In</th>
                <th>Type</th>
                <th>Description</th>
              </tr>
            </thead>
            <tbody>
              {parameters
                .filter((p) => p !== bodyParam)
                .map((p) => (
                  <tr key={`${text(p.in)}:${text(p.name) ?? text(p.$ref)}`}>
                    <td>
                      <code>{text(p.name) ?? text(p.$ref)}</code>
                      {p.required === true && <span className="badge">required</span>}
                    </td>
                    <td>{text(p.in)}</td>
                    <td>{typeLabel(swagger ? p : p.schema)}</td>
                    <td>
                      <Markdown source={p.description} />
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        </>
      )}
      {(requestBody || bodyParam) && (
        <>
          <h3>Request body</h3>
          <Markdown source={bodyParam ? bodyParam.description : requestBody?.description} />
          {bodyParam ? (
            <SchemaView schema={bodyParam.schema} />
          ) : (
            <Content content={requestBody?.content} />
          )}
        </>
      )}
      <h3>Responses</h3>
      <table>
        <tbody>
          {Object.entries(responses)
            .map(([code, raw]) => [code, deref(doc, raw)] as const)
            .map(([code, response]) => (
              <tr key={code}>
                <td>
                  <code>{code}</code>
                </td>
                <td>
                  {isObject(response) && <Markdown source={response.description} />}
                  {isObject(response) &&
                    (swagger ? (
                      response.schema && <SchemaView schema={response.schema} />
                    ) : (
                      <Content content={response.content} />
                    ))}
                </td>
              </tr>
            ))}
        </tbody>
      </table>
    </details>
  );
}

/** OpenAPI 3 `servers`, or the one base URL per scheme that Swagger 2.0's host and basePath make. */
export function serversOf(doc: JsonObject, swagger: boolean): Server[] {
  if (Array.isArray(doc.servers)) {
    return doc.servers
      .filter(isObject)
      .map((s) => ({ url: text(s.url) ?? '', description: text(s.description) }))
      .filter((s) => s.url !== '');
  }
  const host = text(doc.host);
  if (!swagger || !host) return [];
  const schemes = Array.isArray(doc.schemes) ? doc.schemes.map(String) : ['https'];
  return schemes.map((scheme) => ({ url: `${scheme}://${host}${text(doc.basePath) ?? ''}` }));
}

/** Follows a local `$ref` (`#/components/parameters/X`) to what it names, once. */
function deref(doc: JsonObject, value: unknown): unknown {
  if (!isObject(value) || typeof value.$ref !== 'string' || !value.$ref.startsWith('#/'))
    return value;
  let node: unknown = doc;
  for (const part of value.$ref.slice(2).split('/')) {
    node = isObject(node) ? node[part.replaceAll('~1', '/').replaceAll('~0', '~')] : undefined;
  }
  return node ?? value;
}

function Content({ content }: { content: unknown }) {
  if (!isObject(content)) return null;
  return (
    <>
      {Object.entries(content).map(([type, media]) => (
        <div key={type}>
          <span className="muted">{type}</span>{' '}
          {isObject(media) && <SchemaView schema={media.schema} />}
        </div>
      ))}
    </>
  );
}
