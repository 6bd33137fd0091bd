/**
 * EntityTagsPicker: tags as removable chips; Enter or a comma adds the typed tag, in lower
 * case and checked with the catalog's tag rule, as Backstage does. Suggestions are the tags
 * already used in the catalog, in name order: `ui:options.kinds` narrows them to some kinds,
 * `showCounts` orders them by use and shows how often each is used, `helperText` replaces
 * the help under the input.
 */
import type { FieldProps } from '@rjsf/utils';
import { useQuery } from '@tanstack/react-query';
import { type KeyboardEvent, useId, useState } from 'react';
import { isValidTag } from '../../../../../model/validators.ts';
import { catalogTags } from '../../api.ts';
import { normalizeTag, TAG_MESSAGE } from '../field-values.ts';
import { uiOptions } from './field-helpers.ts';

const SUGGESTIONS = 200;

const DEFAULT_HELP =
  "Add any relevant tags, hit 'Enter' to add new tags. Valid format: [a-z0-9+#] separated by [-], at most 63 characters";

export function EntityTagsPicker(props: FieldProps) {
  const options = uiOptions(props);
  const kinds = Array.isArray(options.kinds)
    ? options.kinds.filter((k): k is string => typeof k === 'string')
    : undefined;
  const showCounts = options.showCounts === true;
  const helperText = typeof options.helperText === 'string' ? options.helperText : DEFAULT_HELP;
  const id = props.fieldPathId.$id;
  const path = props.fieldPathId.path;
  const listId = useId();
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const tags: string[] = Array.isArray(props.formData)
    ? props.formData.filter((t): t is string => typeof t === 'string')
    : [];
  const suggestions = useQuery({
    queryKey: ['scaffolder-tags', kinds ?? []],
    queryFn: ({ signal }) => catalogTags(kinds, signal),
    staleTime: 60_000,
  });
  const set = (next: string[]) => props.onChange(next.length ? next : undefined, path);

  const add = () => {
    const typed = text.trim().replace(/,$/, '');
    const tag = normalizeTag(typed);
    if (!tag) return true;
    if (!isValidTag(tag)) {
      setProblem(`"${typed}" ${TAG_MESSAGE}`);
      return false;
    }
    setProblem(undefined);
    if (!tags.includes(tag)) set([...tags, tag]);
    setText('');
    return true;
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if ((event.key === 'Enter' || event.key === ',') && text.trim()) {
      event.preventDefault();
      add();
    } else if (event.key === 'Backspace' && !text && tags.length) {
      set(tags.slice(0, -1));
    }
  };

  const invalid = Boolean(problem) || (props.rawErrors?.length ?? 0) > 0;
  return (
    <div className="chips-field">
      <ul className="chips" aria-label="Tags">
        {tags.map((tag) => (
          <li key={tag} className="chip">
            {tag}
            <button
              type="button"
              aria-label={`Remove tag ${tag}`}
              disabled={props.disabled || props.readonly}
              onClick={() => set(tags.filter((t) => t !== tag))}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <input
        id={id}
        type="text"
        list={listId}
        autoComplete="off"
        placeholder="Type a tag and press Enter"
        value={text}
        disabled={props.disabled || props.readonly}
        aria-invalid={invalid || undefined}
        aria-describedby={`${id}-problem ${id}-helper ${id}__error ${id}__description ${id}__help`}
        onChange={(e) => {
          setText(e.target.value);
          setProblem(undefined);
        }}
        onKeyDown={onKeyDown}
        onFocus={() => props.onFocus(id, tags)}
        onBlur={() => {
          add();
          props.onBlur(id, tags);
        }}
      />
      <datalist id={listId}>
        {(suggestions.data ?? [])
          .filter((s) => !tags.includes(s.value))
          // The most used ones (the API answers most used first), in Backstage's order.
          .slice(0, SUGGESTIONS)
          .sort((a, b) => (showCounts ? b.count - a.count : 0) || a.value.localeCompare(b.value))
          .map((s) => (
            <option
              key={s.value}
              value={s.value}
              label={showCounts ? `${s.value} (${s.count})` : undefined}
            />
          ))}
      </datalist>
      <p id={`${id}-helper`} className="field-help muted">
        {helperText}
      </p>
      <p id={`${id}-problem`} className="field-error" role={problem ? 'alert' : undefined}>
        {problem}
      </p>
    </div>
  );
}
