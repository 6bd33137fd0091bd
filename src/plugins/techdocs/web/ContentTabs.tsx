import { type KeyboardEvent, type ReactNode, useId, useRef, useState } from 'react';

export interface ContentTab {
  title: string;
  content: ReactNode[];
}

/**
 * A set of content tabs from a docs page (pymdownx.tabbed), as the WAI-ARIA tabs pattern:
 * arrow keys, Home and End move between tabs; only the chosen panel is shown.
 */
export function ContentTabs({ tabs, initial }: { tabs: ContentTab[]; initial: number }) {
  const [current, setCurrent] = useState(initial);
  const base = useId();
  const buttons = useRef<Array<HTMLButtonElement | null>>([]);
  const choose = (index: number) => {
    setCurrent(index);
    buttons.current[index]?.focus();
  };
  const onKeyDown = (event: KeyboardEvent) => {
    const last = tabs.length - 1;
    const next =
      event.key === 'ArrowRight'
        ? current === last
          ? 0
          : current + 1
        : event.key === 'ArrowLeft'
          ? current === 0
            ? last
            : current - 1
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? last
              : undefined;
    if (next === undefined) return;
    event.preventDefault();
    choose(next);
  };
  return (
    <div className="tabbed-set">
      <div role="tablist" className="tabbed-labels" onKeyDown={onKeyDown}>
        {tabs.map((tab, index) => (
          <button
            // biome-ignore lint/suspicious/noArrayIndexKey: tabs have no identity beyond their place
            key={index}
            ref={(el) => {
              buttons.current[index] = el;
            }}
            type="button"
            role="tab"
            id={`${base}-tab-${index}`}
            aria-selected={index === current}
            aria-controls={`${base}-panel-${index}`}
            tabIndex={index === current ? 0 : -1}
            onClick={() => setCurrent(index)}
          >
            {tab.title}
          </button>
        ))}
      </div>
      {tabs.map((tab, index) => (
        <div
          // biome-ignore lint/suspicious/noArrayIndexKey: as above
          key={index}
          role="tabpanel"
          className="tabbed-block"
          id={`${base}-panel-${index}`}
          aria-labelledby={`${base}-tab-${index}`}
          hidden={index !== current}
        >
          {tab.content}
        </div>
      ))}
    </div>
  );
}
