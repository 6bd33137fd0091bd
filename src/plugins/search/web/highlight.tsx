/**
 * Highlighted snippets. The search backend marks matches in plain text with a pre and a post
 * tag that it picks per response (random strings, so that no document text can forge them).
 * The text between the tags is still plain text, never HTML: it becomes React text nodes
 * inside <mark>, so `<img onerror=…>` in an entity description shows as those characters.
 */
import { splitHighlight } from '../common/types.ts';

/** `value` with its highlight tags rendered as <mark> elements, everything else as text. */
export function Highlighted({
  value,
  preTag,
  postTag,
}: {
  value: string;
  preTag?: string;
  postTag?: string;
}) {
  // Empty tags would match everywhere: without both there is nothing to mark.
  if (!preTag || !postTag) return <>{value}</>;
  return (
    <>
      {splitHighlight(value, preTag, postTag).map((s, i) =>
        // biome-ignore lint/suspicious/noArrayIndexKey: segments are positional and never reorder
        s.match ? <mark key={i}>{s.text}</mark> : <span key={i}>{s.text}</span>,
      )}
    </>
  );
}
