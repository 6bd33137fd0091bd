import { createMarkdown, newPageEnv, type PageEnv } from './markdown.ts';
import { sanitizePage } from './sanitize.ts';

const md = createMarkdown();

/** One page through the real pipeline (markdown-it + sanitiser), URLs left as they are. */
export function renderForTest(markdown: string): { html: string; env: PageEnv } {
  const env = newPageEnv();
  const raw = md.render(markdown, env as unknown as Record<string, unknown>);
  return { html: sanitizePage(raw, (url) => url), env };
}

const ALLOWED = new Set(
  'h1 h2 h3 h4 h5 h6 p ul ol li dl dt dd table thead tbody tfoot tr th td caption code pre span a img blockquote details summary div section input sup sub hr br em strong b i del ins s mark kbd abbr figure figcaption'.split(
    ' ',
  ),
);

/** The build's own icon SVG (see icons.ts): exactly this shape, nothing else inside. */
const ICON_SVG =
  /<span class="twemoji"><svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 \d+ \d+">(?:<path d="[MmZzLlHhVvCcSsQqTtAa0-9eE.,+\-\s]+"(?: fill-rule="evenodd")?\/>)+<\/svg><\/span>/g;

/**
 * Everything in sanitised output that could run code or load active content. The output is
 * sanitize-html's own serialisation, so tags and attributes are regular enough to scan.
 */
export function executableParts(html: string): string[] {
  const found: string[] = [];
  html = html.replace(ICON_SVG, '<span class="twemoji"></span>');
  for (const tag of html.matchAll(/<\s*([a-zA-Z][\w:-]*)([^>]*)>/g)) {
    const name = tag[1]!.toLowerCase();
    if (!ALLOWED.has(name)) found.push(`tag <${name}>`);
    for (const attr of tag[2]!.matchAll(/([^\s=/]+)(?:="([^"]*)")?/g)) {
      const attrName = attr[1]!.toLowerCase();
      const value = decode(attr[2] ?? '');
      if (attrName.startsWith('on')) found.push(`attribute ${attrName} on <${name}>`);
      if (attrName === 'style' && !/^text-align:(left|right|center);?$/.test(value)) {
        found.push(`style '${value}' on <${name}>`);
      }
      if (['href', 'src', 'action', 'formaction', 'xlink:href', 'srcset'].includes(attrName)) {
        const compact = [...value]
          .filter((c) => c.charCodeAt(0) > 0x20)
          .join('')
          .toLowerCase();
        if (/^(javascript|vbscript|data|file):/.test(compact)) {
          found.push(`${attrName}='${value}' on <${name}>`);
        }
      }
      if (name === 'input' && attrName === 'type' && value !== 'checkbox') {
        found.push(`input type ${value}`);
      }
    }
    if (name === 'input' && !/\bdisabled\b/.test(tag[2]!)) found.push('enabled input');
  }
  return found;
}

function decode(value: string): string {
  return value
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) =>
      String.fromCodePoint(Number.parseInt(hex, 16)),
    )
    .replace(/&#([0-9]+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
