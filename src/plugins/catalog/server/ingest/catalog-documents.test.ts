import { describe, expect, it } from 'vitest';
import { classifyDocument, definitionFormatOfPath, hasYamlName } from './catalog-documents.ts';

describe('classifyDocument', () => {
  it('takes a document with apiVersion or kind as an entity, however wrong the rest', () => {
    expect(classifyDocument({ apiVersion: 'backstage.io/v1alpha1' })).toEqual({ catalog: true });
    expect(classifyDocument({ kind: 'component', name: 'x' })).toEqual({ catalog: true });
    expect(classifyDocument({ openapi: '3.0.0', kind: 'Component' })).toEqual({ catalog: true });
    // An entity written with "- " before each line is a mistake to report, not a skip.
    expect(classifyDocument([{ apiVersion: 'v1' }, { kind: 'Component' }])).toEqual({
      catalog: true,
    });
  });

  it('names API definitions by their top-level key', () => {
    expect(classifyDocument({ openapi: '3.1.0', info: {} })).toMatchObject({
      catalog: false,
      reason: 'api-definition',
      format: 'OpenAPI',
    });
    expect(classifyDocument({ swagger: '2.0' })).toMatchObject({ format: 'Swagger' });
    expect(classifyDocument({ asyncapi: '2.6.0' })).toMatchObject({ format: 'AsyncAPI' });
  });

  it('calls other data plain, without an envelope', () => {
    for (const value of [{ roles: [] }, ['a', 'b'], 'text', 42])
      expect(classifyDocument(value)).toEqual({ catalog: false, reason: 'no-envelope' });
    // Inherited keys are not the document's own.
    expect(classifyDocument(Object.create({ kind: 'Component' }))).toMatchObject({
      catalog: false,
    });
  });

  it('knows definition formats and YAML by file name', () => {
    expect(definitionFormatOfPath('/r/schema.graphql')).toBe('GraphQL');
    expect(definitionFormatOfPath('https://h/x/api.proto?ref=main')).toBe('Protocol Buffers');
    expect(definitionFormatOfPath('/r/catalog-info.yaml')).toBeUndefined();
    expect(hasYamlName('/r/a.YML')).toBe(true);
    expect(hasYamlName('/r/a.json')).toBe(true);
    expect(hasYamlName('/r/README.md')).toBe(false);
  });
});
