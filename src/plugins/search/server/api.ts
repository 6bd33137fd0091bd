/**
 * The search plugin's public contract: what other plugins use to put documents into the
 * index (the `SearchIndex` service) and to contribute a collator for a full reindex.
 *
 * Documents are keyed by `(type, location)`: upserting a document with a location that is
 * already indexed for that type replaces it.
 */
import {
  createExtensionPoint,
  createServiceRef,
  type PluginEnvironment,
} from '../../../core/plugin-api.ts';
import type { JsonValue } from '../../../model/entity.ts';

/** One searchable document. Extra fields are stored and usable as filters (`filters[kind]=…`). */
export interface IndexableDocument {
  title: string;
  text: string;
  /** Where the result links to; unique within a type (the document's id). */
  location: string;
  /**
   * The entity the document belongs to (`component:default/foo`; stored in that canonical
   * form). A document with one is found only by callers who may read that entity.
   */
  entityRef?: string;
  [field: string]: JsonValue | undefined;
}

/** Writes to the search index. Every call is committed when its promise resolves. */
export interface SearchIndex {
  /** Inserts or replaces documents of one type, by location. */
  upsert(type: string, docs: IndexableDocument[]): Promise<void>;
  remove(type: string, locations: string[]): Promise<void>;
  /** Removes every document of `type` whose `entityRef` is the given ref. */
  removeByEntity(type: string, entityRef: string): Promise<void>;
  /**
   * Replaces all documents of one type with the given stream, atomically: readers see the old
   * documents until the new set is complete, never an empty or partial index.
   */
  replaceAll(type: string, docs: AsyncIterable<IndexableDocument>): Promise<{ count: number }>;
}

export const searchIndexServiceRef = createServiceRef<SearchIndex>('search');

/** Produces every document of one type, for a full reindex. */
export interface Collator {
  type: string;
  collect(ctx: { use: PluginEnvironment['use'] }): AsyncIterable<IndexableDocument>;
}

export const searchCollatorsExtensionPoint = createExtensionPoint<Collator>('search.collators');
