import type { WebPlugin } from './plugin-api.ts';

/**
 * Checks what an external plugin's web bundle exports before the shell registers it: a bundle
 * is code the shell did not compile, so a typo (`entityCard`, a card without a component)
 * must fail with the field named, not as a blank page later. Pure, so it is unit-tested.
 */

type Check = (value: unknown, path: string) => void;

/** `path` is '' for the export itself, else the field (`entityCards[0].component`). */
function fail(path: string, message: string): never {
  throw new Error(path ? `default export: ${path} ${message}` : `default export ${message}`);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const string: Check = (value, path) => {
  if (typeof value !== 'string' || value === '') fail(path, 'must be a non-empty string');
};
const number: Check = (value, path) => {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'must be a number');
};
const fn: Check = (value, path) => {
  if (typeof value !== 'function') fail(path, 'must be a function');
};
/** A function component, or what memo/forwardRef/lazy return (objects with `$$typeof`). */
const component: Check = (value, path) => {
  if (typeof value === 'function') return;
  if (isRecord(value) && typeof value.$$typeof === 'symbol') return;
  fail(path, 'must be a React component');
};
const kinds: Check = (value, path) => {
  if (!Array.isArray(value)) fail(path, 'must be a list of lower-case kinds');
  (value as unknown[]).forEach((kind, i) => {
    if (typeof kind !== 'string' || kind !== kind.toLowerCase() || kind === '')
      fail(`${path}[${i}]`, `must be a lower-case kind (e.g. 'component'), got ${show(kind)}`);
  });
};

const show = (value: unknown) => (typeof value === 'string' ? `'${value}'` : String(value));

/** Fields of one list item: name → [check, required]. */
type Fields = Record<string, [Check, boolean]>;

const LISTS: Record<string, Fields> = {
  routes: { path: [string, true], component: [component, true] },
  sidebarItems: {
    to: [string, true],
    label: [string, true],
    order: [number, false],
    permission: [string, false],
  },
  entityTabs: {
    path: [string, true],
    title: [string, true],
    kinds: [kinds, false],
    order: [number, false],
    component: [component, true],
  },
  entityCards: {
    id: [string, true],
    kinds: [kinds, false],
    order: [number, false],
    component: [component, true],
  },
  homeCards: { id: [string, true], order: [number, false], component: [component, true] },
  topBarItems: { id: [string, true], order: [number, false], component: [component, true] },
  catalogColumns: {
    id: [string, true],
    title: [string, true],
    order: [number, false],
    component: [component, true],
    useShown: [fn, false],
  },
  catalogFilters: {
    param: [string, true],
    order: [number, false],
    component: [component, true],
    toFilter: [fn, true],
  },
};

/** Built-in only: a bundle could otherwise replace sign-in, or lose to the built-in search. */
const RESERVED: Record<string, string> = {
  appGate: 'is reserved for built-in plugins (it wraps sign-in)',
  searchBox: 'is provided by the built-in search plugin; an external one would never show',
};

function checkList(list: unknown, name: string, fields: Fields): void {
  if (!Array.isArray(list)) fail(name, 'must be a list');
  for (const [i, item] of (list as unknown[]).entries()) {
    const path = `${name}[${i}]`;
    if (!isRecord(item)) fail(path, 'must be an object');
    for (const [key, [check, required]] of Object.entries(fields)) {
      if (item[key] === undefined) {
        if (required) fail(`${path}.${key}`, 'is required');
      } else check(item[key], `${path}.${key}`);
    }
    for (const key of Object.keys(item)) {
      if (!(key in fields))
        fail(`${path}.${key}`, `is not a field (known: ${Object.keys(fields).join(', ')})`);
    }
  }
}

/**
 * The bundle's default export as a WebPlugin, or an error naming the first wrong field
 * (`default export: entityCards[0].component must be a React component`).
 */
export function checkWebPlugin(moduleExports: unknown, expectedId: string): WebPlugin {
  const plugin = isRecord(moduleExports) ? moduleExports.default : undefined;
  if (!isRecord(plugin))
    fail('', "must be an object made with definePlugin from '@atrium/web-plugin-api'");
  if (plugin.id !== expectedId)
    fail('id', `is ${show(plugin.id)}; the package's manifest (atrium.id) says '${expectedId}'`);
  for (const key of Object.keys(plugin)) {
    if (key === 'id') continue;
    if (key in RESERVED) fail(key, RESERVED[key]!);
    const fields = LISTS[key];
    if (!fields)
      fail(key, `is not part of a web plugin (known: id, ${Object.keys(LISTS).join(', ')})`);
    if (plugin[key] !== undefined) checkList(plugin[key], key, fields!);
  }
  return plugin as unknown as WebPlugin;
}

/** Route and entity tab paths a plugin takes that another plugin has already taken. */
export function takenPaths(plugin: WebPlugin, others: WebPlugin[]): string[] {
  const routes = new Set(others.flatMap((o) => o.routes ?? []).map((r) => r.path));
  const tabs = new Set(others.flatMap((o) => o.entityTabs ?? []).map((t) => t.path));
  return [
    ...(plugin.routes ?? []).filter((r) => routes.has(r.path)).map((r) => `route ${r.path}`),
    ...(plugin.entityTabs ?? []).filter((t) => tabs.has(t.path)).map((t) => `entity tab ${t.path}`),
  ];
}
