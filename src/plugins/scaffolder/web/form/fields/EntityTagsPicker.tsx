/**
 * EntityTagsPicker: tags as removable chips; Enter or a comma adds the typed tag, checked
 * with the catalog's tag rule. Suggestions are the tags already used in the catalog
 * (`ui:options.kinds` narrows them to some kinds).
 */
import type { FieldProps } from '@rjsf/utils';
import { useQuery } from '@tanstack/react-query';
import { type KeyboardEvent, useId, useState } from 'react';
import { isValidTag } from '../../../../../model/validators.ts';
import { catalogTags } from '../../api.ts';
import { TAG_MESSAGE } from '../field-values.ts';
import { uiOptions } from './EntityPicker.tsx';

export function EntityTagsPicker(props: FieldProps) {
  const options = uiOptions(props);
  const kinds = Array.isArray(options.kinds)
    ? options.kinds.filter((k): k is string => typeof k === 'string')
    : undefined;
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
    const tag = text.trim().replace(/,$/, '');
    if (!tag) return true;
    if (!isValidTag(tag)) {
      setProblem(`"${tag}" ${TAG_MESSAGE}`);
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
        aria-describedby={`${id}-problem ${id}__error ${id}__description ${id}__help`}
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
          .slice(0, 50)
          .map((s) => (
            <option key={s.value} value={s.value} />
          ))}
      </datalist>
      <p id={`${id}-problem`} className="field-error" role={problem ? 'alert' : undefined}>
        {problem}
      </p>
    </div>
  );
}
