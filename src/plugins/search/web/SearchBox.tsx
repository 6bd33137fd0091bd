/**
 * The global search box: suggestions while typing, in the ARIA 1.2 combobox pattern (focus
 * stays in the input; the highlighted option is announced through aria-activedescendant).
 * Enter opens the highlighted suggestion, or the search page when none is highlighted.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type FormEvent, type KeyboardEvent, useEffect, useId, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import type { SearchBoxProps } from '../../../web/plugin-api.ts';
import type { SearchResult } from '../common/types.ts';
import { field, groupByType, searchQuery, typeLabel } from './api.ts';
import { Highlighted } from './highlight.tsx';
import { resultLink } from './location.ts';
import { ResultIcon } from './result-icon.tsx';

/** Typing pauses shorter than this do not send a request. */
const DEBOUNCE_MS = 120;
const SUGGESTIONS = 8;
/** One letter matches half the index and tells the user nothing. */
const MIN_TERM = 2;

/** The search page for a term (the page for no term when empty). */
export function searchPagePath(term: string): string {
  const t = term.trim();
  return t ? `/search?term=${encodeURIComponent(t)}` : '/search';
}

/** What a suggestion says under its title: the entity's kind, or the entity a docs page is of. */
function suggestionContext(result: SearchResult): string {
  const kind = field(result, 'kind');
  if (result.type === 'techdocs') {
    const entity = field(result, 'entityTitle') ?? field(result, 'name');
    return [entity, 'docs'].filter(Boolean).join(' · ');
  }
  const namespace = field(result, 'namespace');
  return [kind, namespace && namespace !== 'default' ? namespace : undefined]
    .filter(Boolean)
    .join(' · ');
}

export function SearchBox({ id, large, shortcut }: SearchBoxProps) {
  const navigate = useNavigate();
  const listboxId = `${id}-suggestions`;
  const statusId = useId();
  const [text, setText] = useState('');
  const [term, setTerm] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);

  useEffect(() => {
    const timer = setTimeout(() => setTerm(text.trim()), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text]);

  const enabled = term.length >= MIN_TERM;
  const suggestions = useQuery({
    queryKey: ['search-suggestions', term],
    queryFn: ({ signal }) => searchQuery({ term, pageLimit: SUGGESTIONS }, signal),
    enabled,
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });

  const results =
    enabled && text.trim().length >= MIN_TERM ? (suggestions.data?.results ?? []) : [];
  const groups = groupByType(results);
  const options = groups.flatMap((g) => g.results);
  // Typing or a new list means the old highlight points at something else: start from the input.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset on these changes only
  useEffect(() => setActive(-1), [suggestions.data, text]);

  const showPopup = open && text.trim().length >= MIN_TERM;
  const expanded = showPopup && options.length > 0;

  const close = () => {
    setOpen(false);
    setActive(-1);
  };

  const openResult = (result: SearchResult) => {
    const link = resultLink(result.document.location, window.location.origin);
    if (link.kind === 'refused') return;
    setText('');
    close();
    if (link.kind === 'internal') navigate(link.to);
    else window.location.assign(link.href);
  };

  const openSearchPage = () => {
    navigate(searchPagePath(text));
    setText('');
    close();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const highlighted = expanded ? options[active] : undefined;
    if (highlighted) {
      openResult(highlighted);
      return;
    }
    openSearchPage();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (!open) {
        setOpen(true);
        return;
      }
      if (options.length === 0) return;
      const step = event.key === 'ArrowDown' ? 1 : -1;
      setActive((current) =>
        current < 0
          ? step > 0
            ? 0
            : options.length - 1
          : (current + step + options.length) % options.length,
      );
    } else if (event.key === 'Escape') {
      event.preventDefault();
      if (showPopup) close();
      else setText('');
    }
  };

  let status = '';
  if (showPopup) {
    if (suggestions.isError) status = 'Suggestions could not be loaded';
    else if (term !== text.trim() || suggestions.isFetching) status = 'Searching…';
    else if (suggestions.data)
      status =
        options.length === 0
          ? 'No suggestions'
          : `${options.length} suggestion${options.length === 1 ? '' : 's'}`;
  }

  return (
    // Two search landmarks (the top bar's and the home page's) need names that tell them apart.
    <search
      className={large ? 'search search-large suggest' : 'search suggest'}
      aria-label={large ? 'Search Atrium' : 'Quick search'}
    >
      <form onSubmit={submit}>
        <label htmlFor={id} className="visually-hidden">
          Search Atrium
        </label>
        <input
          id={id}
          type="search"
          role="combobox"
          autoComplete="off"
          spellCheck={false}
          placeholder="Search entities and docs…"
          aria-autocomplete="list"
          aria-keyshortcuts={shortcut}
          aria-expanded={expanded}
          aria-controls={listboxId}
          aria-activedescendant={expanded && active >= 0 ? `${id}-option-${active}` : undefined}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setOpen(true);
          }}
          onFocus={() => setOpen(true)}
          onBlur={close}
          onKeyDown={onKeyDown}
        />
        <button type="submit">Search</button>
        <span id={statusId} className="visually-hidden" role="status">
          {status}
        </span>
        {showPopup && (
          <div className="suggest-popup">
            {expanded && (
              <div id={listboxId} role="listbox" aria-label="Suggestions">
                {groups.map((group) => (
                  // biome-ignore lint/a11y/useSemanticElements: a group of options inside a listbox (ARIA 1.2 combobox)
                  <div
                    key={group.type}
                    role="group"
                    aria-labelledby={`${id}-group-${group.type}`}
                    className="suggest-group"
                  >
                    <div
                      id={`${id}-group-${group.type}`}
                      className="suggest-group-label"
                      role="presentation"
                    >
                      {typeLabel(group.type)}
                    </div>
                    {group.results.map((result) => {
                      const i = options.indexOf(result);
                      const refused =
                        resultLink(result.document.location, window.location.origin).kind ===
                        'refused';
                      const title = result.highlight?.fields.title;
                      return (
                        // Focus stays in the input (aria-activedescendant); the keys are handled there.
                        // biome-ignore lint/a11y/useKeyWithClickEvents: see above
                        // biome-ignore lint/a11y/useFocusableInteractive: see above
                        <div
                          key={`${result.type}:${result.document.location}`}
                          id={`${id}-option-${i}`}
                          role="option"
                          aria-selected={i === active}
                          aria-disabled={refused || undefined}
                          className={i === active ? 'suggest-option active' : 'suggest-option'}
                          // keeps focus (and the list) in the input until the click lands
                          onMouseDown={(e) => e.preventDefault()}
                          onClick={() => openResult(result)}
                        >
                          <ResultIcon result={result} />
                          <span className="suggest-title">
                            {title ? (
                              <Highlighted
                                value={title}
                                preTag={result.highlight?.preTag}
                                postTag={result.highlight?.postTag}
                              />
                            ) : (
                              result.document.title
                            )}
                          </span>
                          <span className="suggest-context">{suggestionContext(result)}</span>
                        </div>
                      );
                    })}
                  </div>
                ))}
              </div>
            )}
            {!expanded && status && <p className="suggest-message">{status}</p>}
            <button
              type="button"
              tabIndex={-1}
              className="suggest-all"
              onMouseDown={(e) => e.preventDefault()}
              onClick={openSearchPage}
            >
              All results for “{text.trim()}” →
            </button>
          </div>
        )}
      </form>
    </search>
  );
}
