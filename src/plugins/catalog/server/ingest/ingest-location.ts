import { createHash } from 'node:crypto';
import { dirname, isAbsolute } from 'node:path';
import {
  ANNOTATION_MANAGED_BY_LOCATION,
  ANNOTATION_MANAGED_BY_ORIGIN_LOCATION,
  ANNOTATION_SOURCE_LOCATION,
  ANNOTATION_VIEW_URL,
  type Entity,
  type EntityStatusItem,
  type Problem,
} from '../../../../model/entity.ts';
import {
  deriveRelations,
  type KindRegistry,
  stringifyEntityRef,
  validateEntity,
} from '../../../../model/index.ts';
import {
  checkDataLimits,
  DEFAULT_DATA_LIMITS,
  type DataLimits,
} from '../../../../model/data-limits.ts';
import type { LocationSink, PreparedEntity } from '../store/entity-store.ts';
import {
  classifyDocument,
  type DocumentClass,
  definitionFormatOfPath,
  hasYamlName,
  type NotCatalogReason,
  strayDocumentMessage,
} from './catalog-documents.ts';
import { parseYamlFile } from './parse-yaml.ts';
import { type Dependency, hasPlaceholder, resolvePlaceholders } from './placeholders.ts';
import { hashText, type LocationReader, type SourceFile } from './readers.ts';
import type { RuleSet } from './rules.ts';
import { sourceSnippet } from './source-snippet.ts';

/** A processor runs on every valid entity before relations are derived (extension point). */
export interface EntityProcessor {
  name: string;
  process(
    entity: Entity,
    ctx: { locationRef: string; report(problem: Problem): void },
  ): Promise<Entity> | Entity;
}

/** What one file produced last time; lets an unchanged file skip parsing and writing. */
export interface FileOutcome {
  hash: string;
  refs: string[];
  failedRefs: string[];
  children: Array<{ type: string; target: string; optional: boolean; parentRef: string }>;
  problems: Problem[];
  dependencies: Array<{ reader: string; base: string; target: string; hash: string }>;
}

/**
 * Several root locations read as one survey of the files they reach (`atrium validate` over
 * globs): a file is read once however often it is reached, entity refs are unique across all
 * of them, and files that a root target matched but that are not catalog files (API
 * definitions, plain config) are skipped and counted instead of failing.
 */
export interface Survey {
  /** locationRefs of the files read so far. */
  read: Set<string>;
  /** Entity ref → locationRef of the file that emitted it first. */
  emittedBy: Map<string, string>;
  /** Files skipped as not being catalog files, by target. */
  skipped: Map<string, NotCatalogReason>;
  /** Targets of the files read only because a root target matched them (no Location named them). */
  matchedOnly: Set<string>;
}

export function createSurvey(): Survey {
  return { read: new Set(), emittedBy: new Map(), skipped: new Map(), matchedOnly: new Set() };
}

export interface RootLocation {
  id: string;
  type: string;
  /** Absolute path, glob or URL. */
  target: string;
}

export interface IngestContext {
  readers: Map<string, LocationReader>;
  registry: KindRegistry;
  processors: EntityProcessor[];
  rules: RuleSet;
  /** Changes whenever config that affects processing changes, invalidating the file cache. */
  fingerprint: string;
  /** Cached outcomes by file ref; absent to force a full re-read. */
  cache?: Map<string, FileOutcome>;
  onProgress?(progress: { files: number; entities: number; file: string }): void;
  /** Receives entities file by file (the store's open transaction); else they are returned. */
  sink?: LocationSink;
  /**
   * Folders every `file` read must stay below, for locations registered through the API
   * (`catalog.locationRoots`); absent for config locations.
   */
  roots?: string[];
  /** Bounds on each parsed document (nesting, aliases, expanded size). Default: the model's. */
  limits?: DataLimits;
  /** Read as part of a survey (the CLI); absent for a location's own read, which stays strict. */
  survey?: Survey;
  /**
   * YAML syntax errors carry the column and the offending line (`snippet`). Only where the
   * reader may see the files anyway (the CLI); the server quotes nothing it read.
   */
  quoteSource?: boolean;
}

export interface IngestOutcome {
  /** Prepared entities, when no sink took them. */
  entities: PreparedEntity[];
  /** How many entities were prepared (whether or not a sink took them). */
  entityCount: number;
  failed: Map<string, EntityStatusItem[]>;
  unchangedRefs: Set<string>;
  problems: Problem[];
  files: Map<string, FileOutcome>;
  contentHash: string;
  fileCount: number;
}

export function generatedLocationRef(type: string, target: string): string {
  const name = `generated-${createHash('sha1').update(`${type}:${target}`).digest('hex')}`;
  return `location:default/${name}`;
}

export function generatedLocationEntity(type: string, target: string): Entity {
  const ref = generatedLocationRef(type, target);
  const locationRef = `${type}:${target}`;
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Location',
    metadata: {
      name: ref.slice('location:default/'.length),
      namespace: 'default',
      annotations: {
        [ANNOTATION_MANAGED_BY_LOCATION]: locationRef,
        [ANNOTATION_MANAGED_BY_ORIGIN_LOCATION]: locationRef,
      },
    },
    spec: { type, target },
  };
}

export function toStatusItem(problem: Problem): EntityStatusItem {
  const name = problem.name ?? 'InputError';
  const where = problem.path ? `${problem.path}: ` : '';
  const message = `${where}${problem.message}`;
  return {
    type: 'backstage.io/catalog-processing',
    level: problem.level,
    message: `${name}: ${message}`,
    error: {
      name,
      message,
      ...(problem.file ? { file: problem.file } : {}),
      ...(problem.line ? { line: problem.line } : {}),
      ...(problem.path ? { field: problem.path } : {}),
    },
  };
}

function entityHash(entity: Entity, parentRef: string | null): string {
  return createHash('sha256')
    .update(JSON.stringify([entity, parentRef]))
    .digest('hex');
}

function refOfRaw(raw: unknown): string | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  if (typeof r.kind !== 'string' || typeof r.metadata?.name !== 'string') return undefined;
  const ns = typeof r.metadata.namespace === 'string' ? r.metadata.namespace : 'default';
  return `${r.kind}:${ns}/${r.metadata.name}`.toLowerCase();
}

/** Hosts whose URLs Backstage's built-in SCM integrations understand. */
const SCM_HOSTS = new Set(['github.com', 'gitlab.com', 'bitbucket.org', 'dev.azure.com']);

/** `url:<folder of the file>/`, set only for SCM hosts, as Backstage does. */
function sourceLocationOf(file: SourceFile): string | undefined {
  if (file.type !== 'url') return undefined;
  try {
    const url = new URL(file.target);
    if (!SCM_HOSTS.has(url.hostname)) return undefined;
    return `url:${new URL('./', url).toString()}`;
  } catch {
    return undefined;
  }
}

/**
 * Reads a root location and everything its Location entities fan out to, and prepares
 * each valid entity for storage. Nothing is written here. One broken file or document
 * costs only itself: its problem is recorded with file, line and field, and everything else
 * is still returned.
 */
export async function ingestLocation(
  root: RootLocation,
  ctx: IngestContext,
): Promise<IngestOutcome> {
  const rootRef = generatedLocationRef(root.type, root.target);
  const originRef = `${root.type}:${root.target}`;
  const rootDir =
    root.type === 'file' ? dirname(root.target.replace(/[*?[{].*$/, 'x')) : root.target;
  const outcome: IngestOutcome = {
    entities: [],
    entityCount: 0,
    failed: new Map(),
    unchangedRefs: new Set(),
    problems: [],
    files: new Map(),
    contentHash: '',
    fileCount: 0,
  };
  const rootEntity = generatedLocationEntity(root.type, root.target);
  // With a sink, entities go to the store as each file is read instead of piling up here.
  const emit = async (entities: PreparedEntity[]) => {
    outcome.entityCount += entities.length;
    if (ctx.sink) await ctx.sink.add(entities);
    else outcome.entities.push(...entities);
  };
  await emit([
    {
      ref: rootRef,
      entity: rootEntity,
      hash: entityHash(rootEntity, null),
      parentRef: null,
      relations: [],
    },
  ]);

  const emittedBy = ctx.survey?.emittedBy ?? new Map<string, string>();
  // A file reached twice (a glob and a Location entity naming one of its files, or two
  // Location entities) is read once: read again, its every entity would be "emitted twice".
  const readFiles = ctx.survey?.read ?? new Set<string>();
  const fileHashes: string[] = [];
  const queue: Array<{ type: string; target: string; optional: boolean; parentRef: string }> = [
    { type: root.type, target: root.target, optional: false, parentRef: rootRef },
  ];
  const visited = new Set<string>();

  while (queue.length) {
    const item = queue.shift()!;
    const key = `${item.type}:${item.target}`;
    if (visited.has(key)) continue;
    visited.add(key);
    const reader = ctx.readers.get(item.type);
    if (!reader) {
      outcome.problems.push({
        level: 'error',
        name: 'InputError',
        message: `Unknown location type '${item.type}' for ${item.target}; known types: ${[...ctx.readers.keys()].join(', ')}`,
        file: item.target,
      });
      continue;
    }
    const read = await reader.read(item.target, { optional: item.optional, roots: ctx.roots });
    for await (const file of read.files) {
      // Read because the root target matched it, rather than named by a Location entity.
      const matched = item.parentRef === rootRef;
      if (!matched) ctx.survey?.matchedOnly.delete(file.target);
      if (readFiles.has(file.locationRef)) {
        if (matched || !ctx.survey?.skipped.has(file.target)) continue;
        // Skipped when a glob matched it; a Location entity naming it says it must be a
        // catalog file, so it is read again, strictly.
        ctx.survey?.skipped.delete(file.target);
      } else {
        readFiles.add(file.locationRef);
        outcome.fileCount++;
      }
      if (matched) ctx.survey?.matchedOnly.add(file.target);
      const fileHash = hashText(`${ctx.fingerprint}\n${item.parentRef}\n${file.hash}`);
      fileHashes.push(`${file.locationRef}:${fileHash}`);
      const cached = ctx.cache?.get(file.locationRef);
      if (
        cached &&
        cached.hash === fileHash &&
        (await dependenciesUnchanged(cached, ctx, rootDir))
      ) {
        for (const ref of cached.refs) outcome.unchangedRefs.add(ref);
        ctx.sink?.keep(cached.refs);
        for (const ref of cached.failedRefs) {
          const items = cached.problems.filter((p) => p.level === 'error').map(toStatusItem);
          outcome.failed.set(ref, items);
          ctx.sink?.fail(ref, items);
        }
        outcome.problems.push(...cached.problems);
        queue.push(...cached.children);
        outcome.files.set(file.locationRef, cached);
        for (const ref of cached.refs) emittedBy.set(ref, file.locationRef);
        ctx.onProgress?.({
          files: outcome.fileCount,
          entities: outcome.entityCount + outcome.unchangedRefs.size,
          file: file.target,
        });
        continue;
      }
      const fileOutcome = await processFile(
        file,
        item.parentRef,
        reader,
        { ...ctx, originRef, rootDir, surveyed: Boolean(ctx.survey) && matched },
        emittedBy,
      );
      if (fileOutcome.skipped) ctx.survey?.skipped.set(file.target, fileOutcome.skipped);
      fileOutcome.outcome.hash = fileHash;
      outcome.files.set(file.locationRef, fileOutcome.outcome);
      await emit(fileOutcome.entities);
      for (const [ref, items] of fileOutcome.failed) {
        outcome.failed.set(ref, items);
        ctx.sink?.fail(ref, items);
      }
      outcome.problems.push(...fileOutcome.outcome.problems);
      queue.push(...fileOutcome.outcome.children);
      ctx.onProgress?.({
        files: outcome.fileCount,
        entities: outcome.entityCount + outcome.unchangedRefs.size,
        file: file.target,
      });
    }
    // After the files: a lazy reader adds the problems of each file as it reads it.
    outcome.problems.push(...read.problems);
  }
  outcome.contentHash = hashText(fileHashes.sort().join('\n'));
  return outcome;
}

async function dependenciesUnchanged(
  cached: FileOutcome,
  ctx: IngestContext,
  rootDir: string,
): Promise<boolean> {
  for (const dep of cached.dependencies) {
    const reader = ctx.readers.get(dep.reader);
    if (!reader) return false;
    try {
      const read = await reader.readReferenced(dep.base, dep.target, rootDir);
      if (hashText(read.content) !== dep.hash) return false;
    } catch {
      return false;
    }
  }
  return true;
}

async function processFile(
  file: SourceFile,
  parentRef: string,
  reader: LocationReader,
  ctx: IngestContext & { originRef: string; rootDir: string; surveyed: boolean },
  emittedBy: Map<string, string>,
): Promise<{
  entities: PreparedEntity[];
  failed: Map<string, EntityStatusItem[]>;
  outcome: FileOutcome;
  /** Set when the whole file was skipped as not a catalog file (surveys only). */
  skipped?: NotCatalogReason;
}> {
  const entities: PreparedEntity[] = [];
  const failed = new Map<string, EntityStatusItem[]>();
  const outcome: FileOutcome = {
    hash: '',
    refs: [],
    failedRefs: [],
    children: [],
    problems: [],
    dependencies: [],
  };
  if (ctx.surveyed && definitionFormatOfPath(file.target))
    return { entities, failed, outcome, skipped: 'api-definition' };
  const limits = ctx.limits ?? DEFAULT_DATA_LIMITS;
  const parsed = parseYamlFile(file.content, limits);
  const placeholders = hasPlaceholder(file.content);

  // In a survey a file is a catalog file when one of its documents is meant as an entity;
  // then every other document must be one too. A file with none is skipped when its name
  // says it is not YAML (README.md), or when it has no syntax error that might hide an
  // entity: the API definition its keys give away, or plain data.
  let classes: Array<DocumentClass | undefined> = [];
  if (ctx.surveyed) {
    classes = parsed.documents.map((d) =>
      d.error || d.value === null || d.value === undefined ? undefined : classifyDocument(d.value),
    );
    const others = classes.filter(
      (c): c is DocumentClass & { catalog: false } => c !== undefined && !c.catalog,
    );
    const anyCatalog = classes.some((c) => c?.catalog);
    if (!anyCatalog && !hasYamlName(file.target))
      return { entities, failed, outcome, skipped: 'other-format' };
    if (!anyCatalog && !parsed.documents.some((d) => d.error) && others.length) {
      const definition = others.some((c) => c.reason === 'api-definition');
      return { entities, failed, outcome, skipped: definition ? 'api-definition' : 'no-envelope' };
    }
  }
  const catalogFile = classes.some((c) => c?.catalog);

  for (const doc of parsed.documents) {
    try {
      await processDocument(doc);
    } catch (error) {
      // A bug or an unforeseen input costs this document only, never the location.
      outcome.problems.push({
        level: 'error',
        name: 'InputError',
        message: `Could not process this document: ${(error as Error).message}`,
        file: file.target,
        line: doc.line,
      });
    }
  }
  return { entities, failed, outcome };

  /**
   * A target of the file's own type resolves against the file, as Backstage resolves it. One of
   * another type is taken as written, as Backstage takes it, so it must be absolute: a relative
   * `url` target in a `file` location costs that target alone (a problem on the location with
   * the document's line), never the document or its neighbours.
   */
  function resolveTarget(type: string, target: string, line: number | undefined) {
    const childReader = ctx.readers.get(type);
    try {
      if (type === file.type || !childReader) return reader.resolve(file.target, target);
      if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(target) && !isAbsolute(target))
        throw new Error('it is relative');
      return childReader.resolve(target, target);
    } catch (error) {
      outcome.problems.push({
        level: 'error',
        name: 'InputError',
        message:
          `Location target '${target}' (type ${type}) cannot be read from this ${file.type} location: ` +
          `${(error as Error).message}. A relative target resolves only against a location of its own type: ` +
          `write the full address, or give the Location spec.type ${file.type}`,
        file: file.target,
        line,
      });
      return undefined;
    }
  }

  async function processDocument(doc: (typeof parsed.documents)[number]): Promise<void> {
    const docProblems: Problem[] = [];
    const at = (problem: Problem): Problem => ({
      ...problem,
      file: file.target,
      line: problem.line ?? parsed.lineOf(doc.index, problem.path) ?? doc.line,
    });
    if (doc.error) {
      const line = doc.error.line ?? doc.line;
      const column = doc.error.column;
      const snippet =
        ctx.quoteSource && line && !doc.error.limit
          ? sourceSnippet(file.content, line, column)
          : undefined;
      outcome.problems.push({
        level: 'error',
        name: 'InputError',
        message: doc.error.limit ? doc.error.message : `YAML syntax error: ${doc.error.message}`,
        file: file.target,
        line,
        ...(ctx.quoteSource && column ? { column } : {}),
        ...(snippet ? { snippet } : {}),
      });
      return;
    }
    if (doc.value === null || doc.value === undefined) return;
    const found = classes[doc.index];
    if (ctx.surveyed && found && !found.catalog) {
      // Plain documents beside a syntax error stay unjudged: the error is what to fix.
      if (catalogFile) {
        outcome.problems.push({
          level: 'error',
          name: 'InputError',
          message: strayDocumentMessage(found),
          file: file.target,
          line: doc.line,
        });
      }
      return;
    }
    let raw: unknown = doc.value;
    if (placeholders) {
      const resolved = await resolvePlaceholders(raw, {
        reader,
        urlReader: ctx.readers.get('url'),
        base: file.target,
        root: ctx.rootDir,
        hash: hashText,
      });
      raw = resolved.value;
      docProblems.push(...resolved.problems.map(at));
      outcome.dependencies.push(
        ...resolved.dependencies.map((d: Dependency) => ({ ...d, base: file.target })),
      );
      // A `$yaml`/`$json` placeholder brings in data the file's own check never saw.
      const broken = checkDataLimits(raw, limits);
      if (broken) {
        outcome.problems.push(
          at({
            level: 'error',
            name: 'InputError',
            message: `This document with its placeholders resolved is ${broken.message}`,
          }),
        );
        return;
      }
    }
    const { entity: valid, problems } = validateEntity(raw, ctx.registry);
    // A placeholder that failed already explains its field; the schema's verdict on the
    // unresolved `{ $text: ... }` object would only repeat it.
    const explained = new Set(docProblems.map((p) => p.path));
    docProblems.push(...problems.filter((p) => !explained.has(p.path)).map(at));
    const rawRef = refOfRaw(raw);
    if (!valid || docProblems.some((p) => p.level === 'error')) {
      outcome.problems.push(
        ...docProblems.map((p) => ({
          ...p,
          message: rawRef ? `${p.message} (in ${rawRef})` : p.message,
        })),
      );
      if (rawRef) {
        failed.set(rawRef, docProblems.filter((p) => p.level === 'error').map(toStatusItem));
        outcome.failedRefs.push(rawRef);
      }
      return;
    }
    let entity: Entity = valid;
    const ref = stringifyEntityRef(entity);
    const specType = entity.spec?.type;
    const originLocation = {
      type: ctx.originRef.slice(0, ctx.originRef.indexOf(':')),
      target: ctx.originRef.slice(ctx.originRef.indexOf(':') + 1),
    };
    if (!ctx.rules.isAllowed(entity.kind, specType, originLocation)) {
      outcome.problems.push(
        at({
          level: 'error',
          name: 'NotAllowedError',
          path: 'kind',
          message: `Entity ${ref} is of kind ${entity.kind}, which this location may not emit (allowed: ${ctx.rules.describe(originLocation)}); see catalog.rules in app-config.yaml`,
        }),
      );
      return;
    }
    const previous = emittedBy.get(ref);
    if (previous) {
      outcome.problems.push(
        at({
          level: 'error',
          name: 'ConflictError',
          message: `Entity ${ref} is emitted twice in this location; the copy in ${previous} is kept`,
        }),
      );
      return;
    }
    emittedBy.set(ref, file.locationRef);

    const annotations: Record<string, string> = { ...entity.metadata.annotations };
    annotations[ANNOTATION_MANAGED_BY_LOCATION] = file.locationRef;
    annotations[ANNOTATION_MANAGED_BY_ORIGIN_LOCATION] = ctx.originRef;
    if (file.type === 'url') {
      annotations[ANNOTATION_VIEW_URL] ??= file.target;
      const source = sourceLocationOf(file);
      if (source) annotations[ANNOTATION_SOURCE_LOCATION] ??= source;
    }
    entity = { ...entity, metadata: { ...entity.metadata, annotations } };
    for (const processor of ctx.processors) {
      try {
        entity = await processor.process(entity, {
          locationRef: file.locationRef,
          report: (p) => docProblems.push(at(p)),
        });
      } catch (error) {
        docProblems.push(
          at({
            level: 'error',
            name: 'InputError',
            message: `Processor ${processor.name} failed: ${(error as Error).message}`,
          }),
        );
      }
    }
    if (docProblems.some((p) => p.level === 'error')) {
      outcome.problems.push(...docProblems);
      failed.set(ref, docProblems.filter((p) => p.level === 'error').map(toStatusItem));
      outcome.failedRefs.push(ref);
      return;
    }
    outcome.problems.push(...docProblems);

    if (entity.kind === 'Location') {
      const spec = entity.spec ?? {};
      const type = typeof spec.type === 'string' ? spec.type : file.type;
      const targets = [
        ...(typeof spec.target === 'string' ? [spec.target] : []),
        ...(Array.isArray(spec.targets)
          ? spec.targets.filter((t): t is string => typeof t === 'string')
          : []),
      ];
      for (const target of targets) {
        const resolved = resolveTarget(type, target, doc.line);
        if (resolved === undefined) continue;
        outcome.children.push({
          type,
          target: resolved,
          optional: spec.presence === 'optional',
          parentRef: ref,
        });
      }
    }
    const relations = deriveRelations(entity, ctx.registry);
    const statusItems = docProblems.length ? docProblems.map(toStatusItem) : undefined;
    entities.push({
      ref,
      entity,
      hash: entityHash(entity, parentRef),
      parentRef,
      relations,
      statusItems,
    });
    outcome.refs.push(ref);
  }
}
