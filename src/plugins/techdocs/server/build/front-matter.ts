import * as jsYaml from 'js-yaml';

/**
 * Splits MkDocs' YAML front matter (`---` … `---` at the top of a page) from the Markdown.
 * The front matter is replaced by blank lines so that Markdown line numbers stay file lines.
 */
export function splitFrontMatter(text: string): {
  body: string;
  title?: string;
  error?: { message: string; line: number };
} {
  const match = /^---[ \t]*\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/.exec(text);
  if (!match) return { body: text };
  const blank = '\n'.repeat(match[0].split('\n').length - 1);
  const body = blank + text.slice(match[0].length);
  try {
    const data = jsYaml.load(match[1]!, { schema: jsYaml.JSON_SCHEMA });
    // A `---` rule followed by prose is not front matter.
    if (data === null || typeof data !== 'object' || Array.isArray(data)) return { body: text };
    const title =
      typeof (data as { title?: unknown }).title === 'string'
        ? (data as { title: string }).title.trim() || undefined
        : undefined;
    return { body, title };
  } catch (error) {
    const mark = (error as { mark?: { line?: number } }).mark;
    return {
      body,
      error: {
        message: `invalid front matter: ${(error as { reason?: string }).reason ?? (error as Error).message}`,
        line: (mark?.line ?? 0) + 2,
      },
    };
  }
}
