/**
 * How a search term becomes a query, the same way on every engine.
 *
 * The term is split into words at every character that is not a letter or a digit, so FTS
 * syntax (quotes, `*`, `:`, `-`, parentheses, NEAR, AND) can only ever reach an engine as a
 * quoted literal word: a hostile term is just unusual words, never an engine error.
 */

/** More words than this add nothing a person would type but cost query time. */
export const MAX_WORDS = 12;

/** The shortest fragment that infix (substring) matching looks for; trigram indexes need 3. */
export const MIN_INFIX = 3;

export interface ParsedTerm {
  /** Lowercased words, in the order typed. */
  words: string[];
}

const SEPARATOR = /[^\p{L}\p{N}]+/u;

export function tokenize(text: string): string[] {
  return text
    .normalize('NFC')
    .toLowerCase()
    .split(SEPARATOR)
    .filter((w) => w.length > 0);
}

export function parseTerm(term: string): ParsedTerm {
  const seen = new Set<string>();
  const words: string[] = [];
  for (const word of tokenize(term)) {
    if (seen.has(word)) continue;
    seen.add(word);
    words.push(word);
    if (words.length === MAX_WORDS) break;
  }
  return { words };
}

/** The shortest word also matched as a prefix: one letter would expand to half the index. */
export const MIN_PREFIX = 2;

export function isPrefix(word: string): boolean {
  return word.length >= MIN_PREFIX;
}

/** Whether infix matching can run: every word long enough for a trigram index. */
export function infixWords(parsed: ParsedTerm): string[] | undefined {
  if (!parsed.words.length || parsed.words.some((w) => w.length < MIN_INFIX)) return undefined;
  return parsed.words;
}
