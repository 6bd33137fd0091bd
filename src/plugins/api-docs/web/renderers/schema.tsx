import type { ReactNode } from 'react';
import { Markdown } from './markdown.tsx';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** `#/components/schemas/Pet` → `Pet`; the anchor id a schema is rendered under. */
export function refName(ref: string): string {
  return ref.split('/').pop() ?? ref;
}

export function schemaAnchor(name: string): string {
  return `schema-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

/** A short type label: `string (date-time)`, `array of Pet`, `Pet`. */
export function typeLabel(schema: unknown): ReactNode {
  if (!isObject(schema)) return 'any';
  const ref = text(schema.$ref);
  if (ref) return <a href={`#${schemaAnchor(refName(ref))}`}>{refName(ref)}</a>;
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : text(schema.type);
  if (type === 'array') return <>array of {typeLabel(schema.items)}</>;
  for (const key of ['oneOf', 'anyOf', 'allOf'] as const) {
    const parts = schema[key];
    if (Array.isArray(parts)) {
      return (
        <>
          {key}(
          {parts.map((p, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: schema parts have no identity
            <span key={i}>
              {i > 0 && ', '}
              {typeLabel(p)}
            </span>
          ))}
          )
        </>
      );
    }
  }
  const format = text(schema.format);
  return `${type ?? (isObject(schema.properties) ? 'object' : 'any')}${format ? ` (${format})` : ''}`;
}

/** An object schema's properties as a table; nested objects one level deep. */
export function SchemaView({ schema, depth = 0 }: { schema: unknown; depth?: number }) {
  if (!isObject(schema)) return <span className="muted">no schema</span>;
  const properties = isObject(schema.properties) ? schema.properties : undefined;
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  if (!properties || depth > 2) {
    return (
      <span>
        {typeLabel(schema)}
        {Array.isArray(schema.enum) && (
          <span className="muted"> one of {schema.enum.map(String).join(', ')}</span>
        )}
      </span>
    );
  }
  return (
    <table className="schema">
      <tbody>
        {Object.entries(properties).map(([name, prop]) => (
          <tr key={name}>
            <td>
              <code>{name}</code>
              {required.has(name) && <span className="badge">required</span>}
            </td>
            <td>
              {isObject(prop) && isObject(prop.properties) ? (
                <SchemaView schema={prop} depth={depth + 1} />
              ) : (
                typeLabel(prop)
              )}
              {isObject(prop) && Array.isArray(prop.enum) && (
                <div className="muted">one of {prop.enum.map(String).join(', ')}</div>
              )}
              {isObject(prop) && <Markdown source={prop.description} className="muted" />}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function NamedSchemas({ schemas }: { schemas: unknown }) {
  if (!isObject(schemas) || Object.keys(schemas).length === 0) return null;
  return (
    <section className="card">
      <h2>Schemas</h2>
      {Object.entries(schemas).map(([name, schema]) => (
        <details key={name} id={schemaAnchor(name)} className="schema-block">
          <summary>
            <code>{name}</code>
          </summary>
          {isObject(schema) && <Markdown source={schema.description} />}
          <SchemaView schema={schema} />
        </details>
      ))}
    </section>
  );
}
