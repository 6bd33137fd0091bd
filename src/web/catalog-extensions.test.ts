import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import {
  type CatalogColumn,
  collectExtensions,
  definePlugin,
  ExtensionsContext,
  useCatalogColumns,
} from './plugin-api.ts';

const cell = () => null;
const column = (id: string, order: number, shown?: boolean): CatalogColumn => ({
  id,
  title: id,
  order,
  component: cell,
  ...(shown === undefined ? {} : { useShown: () => shown }),
});

/** Renders the ids of the columns shown. */
function Probe() {
  return useCatalogColumns()
    .map((c) => c.id)
    .join(',');
}

describe('catalog explorer contributions', () => {
  const extensions = collectExtensions([
    definePlugin({
      id: 'a',
      catalogColumns: [column('late', 60), column('hidden', 10, false)],
      catalogFilters: [{ param: 'level', order: 50, component: cell, toFilter: (v) => `x=${v}` }],
    }),
    definePlugin({ id: 'b', catalogColumns: [column('early', 5, true)] }),
  ]);

  it('collects columns and filters of every plugin, in order', () => {
    expect(extensions.catalogColumns.map((c) => c.id)).toEqual(['early', 'hidden', 'late']);
    expect(extensions.catalogFilters.map((f) => f.param)).toEqual(['level']);
    expect(extensions.catalogFilters[0]!.toFilter('Gold')).toBe('x=Gold');
  });

  it('shows the columns whose useShown hook allows it, and those without one', () => {
    const html = renderToStaticMarkup(
      createElement(ExtensionsContext.Provider, { value: extensions }, createElement(Probe)),
    );
    expect(html).toBe('early,late');
  });
});
