/**
 * Output text is Markdown in Backstage templates. This renders the part of it people use in
 * output blocks — paragraphs, line breaks, `code`, **bold**, *emphasis*, [links](url) and bare
 * http(s) URLs — as React elements. Nothing is ever parsed as HTML: anything else stays
 * literal text, and links go through the same rule as output links.
 */
import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { linkTarget } from './links.ts';

/** A bare URL leaves out its trailing punctuation: "see https://example.com/x." */
const INLINE =
  /(`[^`\n]+`)|(\*\*[^*\n]+\*\*|(?<!\w)__[^_\n]+__(?!\w))|(\*[^*\s][^*\n]*\*|(?<!\w)_[^_\s][^_\n]*_(?!\w))|(\[[^\]\n]+\]\([^)\s]+\))|(\bhttps?:\/\/[^\s<>"'`]*[^\s<>"'`.,;:!?)\]])/gi;

function inline(text: string, sections: string[], key: string): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  let n = 0;
  for (const match of text.matchAll(INLINE)) {
    const index = match.index ?? 0;
    if (index > last) out.push(text.slice(last, index));
    const token = match[0];
    const k = `${key}-${n++}`;
    if (match[1]) {
      out.push(<code key={k}>{token.slice(1, -1)}</code>);
    } else if (match[2]) {
      out.push(<strong key={k}>{inline(token.slice(2, -2), sections, k)}</strong>);
    } else if (match[3]) {
      out.push(<em key={k}>{inline(token.slice(1, -1), sections, k)}</em>);
    } else if (match[5]) {
      const target = linkTarget(token, sections);
      out.push(
        target && 'external' in target ? (
          <a key={k} href={target.external} target="_blank" rel="noopener noreferrer">
            {token}
          </a>
        ) : (
          token
        ),
      );
    } else {
      const close = token.indexOf('](');
      const label = token.slice(1, close);
      const url = token.slice(close + 2, -1);
      const target = linkTarget(url, sections);
      if (!target) out.push(`${label} (${url})`);
      else if ('internal' in target) {
        out.push(
          <Link key={k} to={target.internal}>
            {label}
          </Link>,
        );
      } else {
        out.push(
          <a key={k} href={target.external} target="_blank" rel="noopener noreferrer">
            {label}
          </a>,
        );
      }
    }
    last = index + token.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export function MarkdownText({ text, sections }: { text: string; sections: string[] }) {
  const paragraphs = text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean);
  return (
    <>
      {paragraphs.map((paragraph, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: paragraphs have no identity
        <p key={i} className="pre">
          {inline(paragraph, sections, String(i))}
        </p>
      ))}
    </>
  );
}
