import './api-docs.css';
import { parse } from 'yaml';
import { AsyncApiView } from './AsyncApiView.tsx';
import { Highlighted } from './highlight.tsx';
import { OpenApiView } from './OpenApiView.tsx';
import { isObject, type JsonObject } from './schema.tsx';

function parseDocument(definition: string): JsonObject | string {
  try {
    const value = parse(definition, { maxAliasCount: 100 });
    return isObject(value) ? value : 'The definition is not an object.';
  } catch (error) {
    return `The definition could not be parsed: ${(error as Error).message}`;
  }
}

/** Renders an API definition by its `spec.type`; anything unknown is shown as highlighted text. */
export default function DefinitionView({ type, definition }: { type: string; definition: string }) {
  const kind = type.toLowerCase();
  if (kind === 'openapi' || kind === 'asyncapi') {
    const doc = parseDocument(definition);
    if (typeof doc === 'string') {
      return (
        <>
          <div className="state state-error" role="alert">
            {doc}
          </div>
          <Highlighted code={definition} language="yaml" />
        </>
      );
    }
    return (
      <>
        {kind === 'openapi' ? <OpenApiView doc={doc} /> : <AsyncApiView doc={doc} />}
        <details className="card">
          <summary>Source</summary>
          <Highlighted code={definition} language="yaml" />
        </details>
      </>
    );
  }
  return (
    <section className="card" data-testid={`definition-${kind}`}>
      <h2>
        {kind === 'graphql'
          ? 'GraphQL schema'
          : kind === 'grpc'
            ? 'Protocol buffers'
            : `${type} definition`}
      </h2>
      <Highlighted code={definition} language={kind} />
    </section>
  );
}
