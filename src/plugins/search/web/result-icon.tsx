import { BookOpen, FileText } from 'lucide-react';
import { KindIcon } from '../../../web/plugin-api.ts';
import type { SearchResult } from '../common/types.ts';
import { field } from './api.ts';

/**
 * A result's icon, decorative (its type and kind are written beside it): an entity's kind
 * icon, a book for docs, a page for anything else.
 */
export function ResultIcon({ result, size = 16 }: { result: SearchResult; size?: number }) {
  if (result.type === 'techdocs')
    return <BookOpen size={size} aria-hidden className="result-icon" />;
  const kind = field(result, 'kind');
  if (kind) return <KindIcon kind={kind} size={size} />;
  return <FileText size={size} aria-hidden className="result-icon" />;
}
