import { createRequire } from 'node:module';
import type { MarkdownIt, StateCore, Token } from 'markdown-it';

/**
 * Material for MkDocs' icon shortcodes, `:material-check:`, `:octicons-mark-github-16:`,
 * `:fontawesome-brands-github:`, drawn as Material draws them: inline SVG in
 * `<span class="twemoji">`. Path data comes from the icon sets' npm packages (@mdi/js,
 * @primer/octicons, @fortawesome/free-*-svg-icons), loaded on first use; they are
 * server-side only. The renderer writes a placeholder that the sanitiser replaces with
 * the SVG built here (see sanitize.ts), so no SVG an author writes ever passes.
 */
export function iconsPlugin(md: MarkdownIt): void {
  md.core.ruler.after('linkify', 'material_icons', replaceShortcodes);
  md.renderer.rules.material_icon = (tokens, idx) =>
    `<span class="twemoji" ${ICON_ATTRIBUTE}="${(tokens[idx]!.meta as { name: string }).name}"></span>`;
}

/** The placeholder's attribute, holding the shortcode name. */
export const ICON_ATTRIBUTE = 'data-atrium-icon';

const SHORTCODE =
  /:((?:material|octicons|fontawesome-(?:brands|regular|solid))-[a-z0-9]+(?:-[a-z0-9]+)*):/g;

function replaceShortcodes(state: StateCore): void {
  for (const token of state.tokens) {
    if (token.type !== 'inline' || !token.children) continue;
    if (!token.children.some((child) => child.type === 'text' && child.content.includes(':'))) {
      continue;
    }
    const out: Token[] = [];
    for (const child of token.children) {
      if (child.type !== 'text' || !child.content.includes(':')) {
        out.push(child);
        continue;
      }
      let last = 0;
      for (const match of child.content.matchAll(SHORTCODE)) {
        if (iconSvg(match[1]!) === undefined) continue;
        if (match.index > last) {
          const text = new state.Token('text', '', 0);
          text.content = child.content.slice(last, match.index);
          out.push(text);
        }
        const icon = new state.Token('material_icon', 'span', 0);
        icon.meta = { name: match[1]! };
        out.push(icon);
        last = match.index + match[0].length;
      }
      if (last === 0) out.push(child);
      else if (last < child.content.length) {
        const text = new state.Token('text', '', 0);
        text.content = child.content.slice(last);
        out.push(text);
      }
    }
    token.children = out;
  }
}

interface IconShape {
  width: number;
  height: number;
  paths: Array<{ d: string; fillRule?: string }>;
}

const requireFromHere = createRequire(import.meta.url);
const PATH_DATA = /^[MmZzLlHhVvCcSsQqTtAa0-9eE.,+\-\s]+$/;
const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const cache = new Map<string, string | undefined>();

function pascal(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

let mdi: Record<string, unknown> | undefined;
let octicons: Record<string, { heights: Record<string, { width: number; path: string }> }>;

function materialIcon(name: string): IconShape | undefined {
  mdi ??= requireFromHere('@mdi/js') as Record<string, unknown>;
  const d = mdi[`mdi${pascal(name)}`];
  return typeof d === 'string' ? { width: 24, height: 24, paths: [{ d }] } : undefined;
}

function octicon(nameWithSize: string): IconShape | undefined {
  const match = /^(.+)-(\d+)$/.exec(nameWithSize);
  if (!match) return undefined;
  octicons ??= requireFromHere('@primer/octicons/build/data.json') as typeof octicons;
  const icon = Object.hasOwn(octicons, match[1]!) ? octicons[match[1]!] : undefined;
  const size = icon?.heights[match[2]!];
  if (!size) return undefined;
  const paths: IconShape['paths'] = [];
  for (const path of size.path.matchAll(/<path\b([^>]*)>/g)) {
    const d = /\sd="([^"]*)"/.exec(path[1]!)?.[1];
    if (!d) continue;
    const fillRule = /\sfill-rule="(evenodd|nonzero)"/.exec(path[1]!)?.[1];
    paths.push({ d, ...(fillRule && { fillRule }) });
  }
  return paths.length ? { width: size.width, height: Number(match[2]), paths } : undefined;
}

const FONT_AWESOME_PACKAGES: Record<string, string> = {
  brands: '@fortawesome/free-brands-svg-icons',
  regular: '@fortawesome/free-regular-svg-icons',
  solid: '@fortawesome/free-solid-svg-icons',
};

function fontAwesomeIcon(style: string, name: string): IconShape | undefined {
  const pkg = FONT_AWESOME_PACKAGES[style];
  if (!pkg) return undefined;
  let module: { definition?: { icon?: unknown[] } };
  try {
    module = requireFromHere(`${pkg}/fa${pascal(name)}`) as typeof module;
  } catch {
    return undefined;
  }
  const [width, height, , , data] = module.definition?.icon ?? [];
  const list = Array.isArray(data) ? data : [data];
  if (typeof width !== 'number' || typeof height !== 'number') return undefined;
  const paths = list.filter((d): d is string => typeof d === 'string').map((d) => ({ d }));
  return paths.length ? { width, height, paths } : undefined;
}

function shapeOf(shortcode: string): IconShape | undefined {
  const [set, ...rest] = shortcode.split('-');
  if (set === 'material') return materialIcon(rest.join('-'));
  if (set === 'octicons') return octicon(rest.join('-'));
  if (set === 'fontawesome') return fontAwesomeIcon(rest[0] ?? '', rest.slice(1).join('-'));
  return undefined;
}

/**
 * The inline SVG of an icon shortcode name (`material-check`), or undefined when no icon set
 * has it. Built only from numbers and path data that pass a strict pattern.
 */
export function iconSvg(shortcode: string): string | undefined {
  if (!NAME.test(shortcode)) return undefined;
  if (cache.has(shortcode)) return cache.get(shortcode);
  const shape = shapeOf(shortcode);
  let svg: string | undefined;
  if (
    shape &&
    Number.isFinite(shape.width) &&
    Number.isFinite(shape.height) &&
    shape.paths.every((path) => PATH_DATA.test(path.d))
  ) {
    const paths = shape.paths
      .map((path) => `<path d="${path.d}"${path.fillRule ? ` fill-rule="${path.fillRule}"` : ''}/>`)
      .join('');
    svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${shape.width} ${shape.height}">${paths}</svg>`;
  }
  if (cache.size > 5_000) cache.clear();
  cache.set(shortcode, svg);
  return svg;
}
