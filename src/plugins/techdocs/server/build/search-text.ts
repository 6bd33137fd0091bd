import type { SearchIndexDoc } from '../../common/index.ts';

const ENTITY = /&(#x[0-9a-f]+|#[0-9]+|[a-z][a-z0-9]*);/gi;
const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
};

/** Decodes the entities the sanitiser writes (and numeric ones); others are left as text. */
export function decodeEntities(text: string): string {
  return text.replace(ENTITY, (whole, body: string) => {
    if (body[0] === '#') {
      const code =
        body[1] === 'x' || body[1] === 'X'
          ? Number.parseInt(body.slice(2), 16)
          : Number(body.slice(1));
      return Number.isInteger(code) && code > 0 && code <= 0x10ffff
        ? String.fromCodePoint(code)
        : whole;
    }
    return NAMED[body.toLowerCase()] ?? whole;
  });
}

/** The visible text of sanitised HTML: tags removed, block boundaries kept as spaces. */
export function htmlToText(html: string): string {
  return decodeEntities(
    html
      .replace(/<a class="headerlink"[^>]*>[^<]*<\/a>/g, '')
      .replace(
        /<\/?(p|div|li|tr|td|th|h[1-6]|pre|blockquote|br|hr|summary|details|dt|dd|section|table|ul|ol)\b[^>]*>/gi,
        ' ',
      )
      .replace(/<[^>]*>/g, ''),
  )
    .replace(/\s+/g, ' ')
    .trim();
}

const SECTION_HEADING = /<h([23]) id="([^"]*)"[^>]*>([\s\S]*?)<\/h\1>/g;

/**
 * Search entries of one page, as MkDocs writes them: the whole page, then one entry per h2/h3
 * section (from the heading to the next h2/h3). Locations use directory URLs.
 */
export function searchEntries(pagePath: string, title: string, html: string): SearchIndexDoc[] {
  const base = pagePath === '' ? '' : `${pagePath}/`;
  const docs: SearchIndexDoc[] = [{ location: base, title, text: htmlToText(html) }];
  const headings = [...html.matchAll(SECTION_HEADING)];
  for (const [index, heading] of headings.entries()) {
    const start = heading.index + heading[0].length;
    const end = headings[index + 1]?.index ?? html.length;
    docs.push({
      location: `${base}#${decodeEntities(heading[2]!)}`,
      title: htmlToText(heading[3]!),
      text: htmlToText(html.slice(start, end)),
    });
  }
  return docs;
}
