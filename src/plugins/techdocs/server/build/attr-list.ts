import type { MarkdownIt, StateCore } from 'markdown-it';
import attrs from 'markdown-it-attrs';

/**
 * Python-Markdown's attr_list: `![x](a.png){ width=300 }`, `[x](y){:target="_blank"}`,
 * `## Title { #id }`, a paragraph ending in `{: .class }`. markdown-it-attrs reads the same
 * braces but not the optional colon, so the colon is dropped first. Only attributes that
 * the sanitiser may keep are read here; the sanitiser still decides on their values.
 */
export function attrListPlugin(md: MarkdownIt): void {
  md.use(attrs, { allowedAttributes: ATTR_LIST_ATTRIBUTES });
  // markdown-it-attrs tries its patterns on every token, which doubled the render time of
  // pages; most pages have no attribute list at all, and those skip it.
  const rules = (md.core.ruler as unknown as { __rules__: Array<{ name: string; fn: CoreRule }> })
    .__rules__;
  const curly = rules.find((rule) => rule.name === 'curly_attributes')?.fn;
  if (curly) {
    md.core.ruler.at('curly_attributes', (state) => {
      if (MAY_HOLD_ATTRIBUTES.test(state.src)) curly(state);
    });
  }
  md.core.ruler.before('curly_attributes', 'attr_list_colon', dropColon);
}

type CoreRule = (state: StateCore) => void;

/** `{` then an attribute: `.class`, `#id`, `key=` (after an optional colon and blanks). */
const MAY_HOLD_ATTRIBUTES = /\{:?[ \t]*(?:[.#][\w-]|[\w-]+=)/;

/** What authors set with attr_list that can be kept safely (see sanitize.ts). */
export const ATTR_LIST_ATTRIBUTES = [
  'id',
  'class',
  'title',
  'width',
  'height',
  'align',
  'target',
  'alt',
  'start',
];

const COLON_BRACE = /\{:[ \t]*(?=[^{}\n]*\})/g;

function dropColon(state: StateCore): void {
  for (const token of state.tokens) {
    if (token.type !== 'inline' || !token.children) continue;
    for (const child of token.children) {
      if (child.type === 'text' && child.content.includes('{:')) {
        child.content = child.content.replace(COLON_BRACE, '{');
      }
    }
  }
}
