/**
 * A small syntax highlighter for definitions shown as text (GraphQL SDL, protobuf, others):
 * comments, strings, keywords and type names get their own class. Output is React text
 * nodes, never HTML, so a definition cannot inject markup.
 */
const KEYWORDS: Record<string, string[]> = {
  graphql: [
    'type',
    'input',
    'enum',
    'interface',
    'union',
    'scalar',
    'schema',
    'query',
    'mutation',
    'subscription',
    'extend',
    'implements',
    'directive',
    'fragment',
    'on',
    'repeatable',
  ],
  grpc: [
    'syntax',
    'package',
    'import',
    'option',
    'service',
    'rpc',
    'returns',
    'message',
    'enum',
    'oneof',
    'repeated',
    'optional',
    'map',
    'stream',
    'reserved',
  ],
};

const TOKEN =
  /(#[^\n]*|\/\/[^\n]*|\/\*[\s\S]*?\*\/)|("""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|(\b\d+(?:\.\d+)?\b)|(\b[A-Za-z_][A-Za-z0-9_]*\b)/g;

export function Highlighted({ code, language }: { code: string; language: string }) {
  const keywords = new Set(KEYWORDS[language] ?? []);
  const parts: Array<{ text: string; kind?: string }> = [];
  let last = 0;
  for (const match of code.matchAll(TOKEN)) {
    const index = match.index ?? 0;
    if (index > last) parts.push({ text: code.slice(last, index) });
    const [whole, comment, string, number, word] = match;
    const kind = comment
      ? 'comment'
      : string
        ? 'string'
        : number
          ? 'number'
          : word && keywords.has(word)
            ? 'keyword'
            : word && /^[A-Z]/.test(word)
              ? 'type'
              : undefined;
    parts.push({ text: whole, kind });
    last = index + whole.length;
  }
  if (last < code.length) parts.push({ text: code.slice(last) });
  return (
    <pre className="code" data-language={language}>
      <code>
        {parts.map((part, i) =>
          part.kind ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: tokens are positional
            <span key={i} className={`tok-${part.kind}`}>
              {part.text}
            </span>
          ) : (
            part.text
          ),
        )}
      </code>
    </pre>
  );
}
