/**
 * Escapes `%`, `_` and `\` for a SQL `like … escape '\'`, so that what a user typed matches
 * itself, not any text (both engines read the same escape character).
 */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
