import { lazy, Suspense } from 'react';
import type { EntityContentProps } from '../../../web/plugin-api.ts';
import { Loading } from '../../catalog/web/shared.tsx';

// The renderers and the YAML parser they need load only when a definition is opened.
const DefinitionView = lazy(() => import('./renderers/DefinitionView.tsx'));

export function DefinitionTab({ entity }: EntityContentProps) {
  const definition = entity.spec?.definition;
  const type = typeof entity.spec?.type === 'string' ? entity.spec.type : 'unknown';
  if (typeof definition !== 'string' || definition.trim() === '') {
    return (
      <div className="state">
        This API has no definition. Add <code>spec.definition</code> to its catalog file, inline or
        as <code>{'{ $text: ./openapi.yaml }'}</code>.
      </div>
    );
  }
  return (
    <Suspense fallback={<Loading what="the definition viewer" />}>
      <DefinitionView type={type} definition={definition} />
    </Suspense>
  );
}
