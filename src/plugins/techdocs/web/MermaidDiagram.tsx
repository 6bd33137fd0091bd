import { useEffect, useId, useRef, useState } from 'react';

/**
 * A ```` ```mermaid ```` block of a docs page (the server writes `<pre class="mermaid">`),
 * drawn in the browser. The mermaid package is loaded only when a page has a diagram, and a
 * diagram is drawn only when it comes near the screen. Mermaid runs with securityLevel
 * 'strict' (no click handlers, labels sanitised) and its SVG goes through DOMPurify before
 * it reaches the page. Until then, or if the source does not parse, the source is shown.
 */
export function MermaidDiagram({ source }: { source: string }) {
  const id = `mermaid-${useId().replace(/[^A-Za-z0-9_-]/g, '')}`;
  const figure = useRef<HTMLElement>(null);
  const holder = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<'waiting' | 'drawn' | { error: string }>('waiting');

  useEffect(() => {
    const element = holder.current;
    const watched = figure.current;
    if (!element || !watched) return;
    let cancelled = false;
    const draw = async () => {
      try {
        const [{ default: mermaid }, { default: DOMPurify }] = await Promise.all([
          import('mermaid'),
          import('dompurify'),
        ]);
        mermaid.initialize({
          startOnLoad: false,
          securityLevel: 'strict',
          theme: document.documentElement.dataset.theme === 'dark' ? 'dark' : 'default',
          htmlLabels: false,
          flowchart: { htmlLabels: false },
          // What a diagram's own `%%{init: …}%%` may not change: these would let it turn HTML
          // labels back on, relax the sanitiser or inject CSS.
          secure: [
            'secure',
            'securityLevel',
            'startOnLoad',
            'maxTextSize',
            'maxEdges',
            'suppressErrorRendering',
            'htmlLabels',
            'flowchart',
            'dompurifyConfig',
            'themeCSS',
            'fontFamily',
            'legacyMathML',
            'forceLegacyMathML',
          ],
        });
        const { svg } = await mermaid.render(id, source);
        if (cancelled) return;
        const clean = DOMPurify.sanitize(svg, {
          USE_PROFILES: { svg: true, svgFilters: true, html: true },
          ADD_TAGS: ['foreignObject'],
          FORBID_TAGS: ['script', 'iframe', 'object', 'embed', 'use'],
          RETURN_DOM_FRAGMENT: true,
        });
        element.replaceChildren(clean);
        setState('drawn');
      } catch (error) {
        // Mermaid leaves its error drawing in the document body; take it away.
        document.getElementById(`d${id}`)?.remove();
        if (!cancelled) setState({ error: (error as Error).message?.split('\n')[0] ?? 'error' });
      }
    };
    if (typeof IntersectionObserver === 'undefined') {
      void draw();
      return () => {
        cancelled = true;
      };
    }
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) {
          observer.disconnect();
          void draw();
        }
      },
      { rootMargin: '400px' },
    );
    observer.observe(watched);
    return () => {
      cancelled = true;
      observer.disconnect();
    };
  }, [id, source]);

  const failed = typeof state === 'object';
  return (
    <figure ref={figure} className="docs-mermaid" aria-busy={state === 'waiting'}>
      <div
        ref={holder}
        className="docs-mermaid-diagram"
        role="img"
        aria-label="Diagram"
        hidden={state !== 'drawn'}
      />
      {state !== 'drawn' && (
        <pre className="mermaid-source">
          <code>{source}</code>
        </pre>
      )}
      {failed && (
        <figcaption className="docs-mermaid-error">
          The diagram could not be drawn: {state.error}
        </figcaption>
      )}
    </figure>
  );
}
