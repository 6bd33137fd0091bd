/**
 * EntityPicker and the pickers built on it (OwnerPicker, OwnedEntityPicker, MyGroupsPicker,
 * MultiEntityPicker): a combobox that searches the catalog as you type. The value is an entity
 * ref (`group:default/team-a`), or with `allowArbitraryValues` (the default) whatever was typed.
 */
import type { FieldProps } from '@rjsf/utils';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type KeyboardEvent, useEffect, useId, useMemo, useState } from 'react';
import type { Entity } from '../../../../../model/entity.ts';
import { stringifyEntityRef } from '../../../../../model/ref.ts';
import { searchEntities } from '../../api.ts';
import { humanizeRef, pickerFilters } from '../field-values.ts';

const SUGGESTIONS = 20;
const DEBOUNCE_MS = 200;

export function uiOptions(props: Pick<FieldProps, 'uiSchema'>): Record<string, unknown> {
  const options = props.uiSchema?.['ui:options'];
  return options && typeof options === 'object' ? (options as Record<string, unknown>) : {};
}

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

/**
 * Labels of entities seen in suggestions, by ref: a chosen value keeps showing its title
 * ("Booking (team-booking)") when its page is shown again.
 */
const seenLabels = new Map<string, string>();

function entityLabel(entity: Entity, defaultKind?: string): string {
  const ref = humanizeRef(stringifyEntityRef(entity), defaultKind);
  const title = entity.metadata.title;
  const label =
    typeof title === 'string' && title && title !== entity.metadata.name
      ? `${title} (${ref})`
      : ref;
  seenLabels.set(`${defaultKind ?? ''}|${stringifyEntityRef(entity)}`, label);
  return label;
}

/** What the input shows for a value: the label it was chosen by, else the short ref. */
function valueLabel(value: string, defaultKind?: string): string {
  return seenLabels.get(`${defaultKind ?? ''}|${value}`) ?? humanizeRef(value, defaultKind);
}

interface ComboboxProps {
  id: string;
  filters: string[];
  defaultKind?: string;
  /** The text shown while the field is not being edited. */
  display: string;
  placeholder?: string;
  autofocus?: boolean;
  disabled?: boolean;
  required?: boolean;
  invalid: boolean;
  describedBy: string;
  /** Called for every keystroke (the text) and for a chosen suggestion (the entity). */
  onText(text: string): void;
  onPick(entity: Entity): void;
  onFocus(): void;
  onBlur(): void;
  /** Empty the input after a pick (a list field adds the entity and waits for the next). */
  clearOnPick?: boolean;
}

/** The WAI-ARIA combobox pattern: a text input with a list of suggestions from the catalog. */
export function EntityCombobox(props: ComboboxProps) {
  const listId = useId();
  const [text, setText] = useState(props.display);
  const [editing, setEditing] = useState(false);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const term = useDebounced(editing ? text : '', DEBOUNCE_MS);
  useEffect(() => {
    if (!editing) setText(props.display);
  }, [props.display, editing]);

  const suggestions = useQuery({
    queryKey: ['scaffolder-picker', props.filters, term],
    queryFn: ({ signal }) => searchEntities(props.filters, term, SUGGESTIONS, signal),
    enabled: open,
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
  const items = open ? (suggestions.data?.items ?? []) : [];

  const pick = (entity: Entity) => {
    props.onPick(entity);
    setText(props.clearOnPick ? '' : entityLabel(entity, props.defaultKind));
    setEditing(false);
    setOpen(false);
    setActive(-1);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      setOpen(true);
      setActive((a) => Math.min(a + 1, items.length - 1));
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (event.key === 'Enter' && open && active >= 0 && items[active]) {
      event.preventDefault();
      pick(items[active]);
    } else if (event.key === 'Escape' && open) {
      event.preventDefault();
      setOpen(false);
      setActive(-1);
    }
  };

  const status = !open
    ? ''
    : suggestions.isError
      ? 'Could not search the catalog'
      : suggestions.isPending
        ? 'Searching…'
        : items.length === 0
          ? 'No matching entities'
          : `${suggestions.data?.totalItems ?? items.length} matching`;

  return (
    <div className="combobox">
      <input
        id={props.id}
        type="text"
        role="combobox"
        autoComplete="off"
        aria-autocomplete="list"
        aria-expanded={open && items.length > 0}
        aria-controls={listId}
        aria-activedescendant={open && active >= 0 ? `${listId}-${active}` : undefined}
        aria-invalid={props.invalid || undefined}
        aria-required={props.required || undefined}
        aria-describedby={props.describedBy}
        placeholder={props.placeholder}
        // biome-ignore lint/a11y/noAutofocus: the template asks for it (ui:autofocus)
        autoFocus={props.autofocus}
        disabled={props.disabled}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setEditing(true);
          setOpen(true);
          setActive(-1);
          props.onText(e.target.value);
        }}
        onFocus={() => {
          setOpen(true);
          props.onFocus();
        }}
        onBlur={() => {
          setOpen(false);
          setEditing(false);
          props.onBlur();
        }}
        onKeyDown={onKeyDown}
      />
      <span className="visually-hidden" aria-live="polite">
        {status}
      </span>
      <div
        id={listId}
        role="listbox"
        aria-label="Suggestions"
        className="combobox-list"
        hidden={!open || items.length === 0}
      >
        {items.map((entity, i) => (
          <div
            key={stringifyEntityRef(entity)}
            id={`${listId}-${i}`}
            role="option"
            tabIndex={-1}
            aria-selected={i === active}
            className={i === active ? 'active' : undefined}
            // mousedown, not click: the input must not lose focus (and close the list) first
            onMouseDown={(e) => {
              e.preventDefault();
              pick(entity);
            }}
          >
            {entityLabel(entity, props.defaultKind)}
          </div>
        ))}
      </div>
      {open && !suggestions.isPending && items.length === 0 && (
        <div className="combobox-empty muted">{status}</div>
      )}
    </div>
  );
}

function describedBy(id: string): string {
  return `${id}__error ${id}__description ${id}__help`;
}

/** One entity ref; `fallbackKinds` apply when the template sets no filter. */
function EntityPickerField({
  fallbackKinds,
  fallbackDefaultKind,
  ...props
}: FieldProps & { fallbackKinds: string[]; fallbackDefaultKind?: string }) {
  const options = uiOptions(props);
  const id = props.fieldPathId.$id;
  const path = props.fieldPathId.path;
  const filtersKey = JSON.stringify([options.catalogFilter, options.allowedKinds]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed by the options' content
  const filters = useMemo(() => pickerFilters(options, fallbackKinds), [filtersKey]);
  const defaultKind =
    typeof options.defaultKind === 'string' ? options.defaultKind : fallbackDefaultKind;
  const arbitrary = options.allowArbitraryValues !== false;
  const value = typeof props.formData === 'string' ? props.formData : '';
  return (
    <EntityCombobox
      id={id}
      filters={filters}
      defaultKind={defaultKind}
      display={value ? valueLabel(value, defaultKind) : ''}
      placeholder={props.uiSchema?.['ui:placeholder'] as string | undefined}
      autofocus={props.autofocus}
      disabled={props.disabled || props.readonly}
      required={props.required}
      invalid={(props.rawErrors?.length ?? 0) > 0}
      describedBy={describedBy(id)}
      onText={(text) => props.onChange(arbitrary && text.trim() ? text.trim() : undefined, path)}
      onPick={(entity) => props.onChange(stringifyEntityRef(entity), path)}
      onFocus={() => props.onFocus(id, value)}
      onBlur={() => props.onBlur(id, value)}
    />
  );
}

const ANY_KIND: string[] = [];
const OWNER_KINDS = ['Group', 'User'];
const GROUP_KINDS = ['Group'];

export function EntityPicker(props: FieldProps) {
  return <EntityPickerField {...props} fallbackKinds={ANY_KIND} />;
}

/** Groups and users unless the template narrows it with `catalogFilter` or `allowedKinds`. */
export function OwnerPicker(props: FieldProps) {
  return <EntityPickerField {...props} fallbackKinds={OWNER_KINDS} fallbackDefaultKind="Group" />;
}

/** Atrium has no signed-in user to own entities: any entity may be picked. */
export function OwnedEntityPicker(props: FieldProps) {
  return <EntityPickerField {...props} fallbackKinds={ANY_KIND} />;
}

/** Atrium has no signed-in user with groups: any group may be picked. */
export function MyGroupsPicker(props: FieldProps) {
  return <EntityPickerField {...props} fallbackKinds={GROUP_KINDS} fallbackDefaultKind="Group" />;
}

/** A list of entity refs: chosen entities as removable chips, and a combobox to add more. */
export function MultiEntityPicker(props: FieldProps) {
  const options = uiOptions(props);
  const id = props.fieldPathId.$id;
  const path = props.fieldPathId.path;
  const filtersKey = JSON.stringify([options.catalogFilter, options.allowedKinds]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed by the options' content
  const filters = useMemo(() => pickerFilters(options, []), [filtersKey]);
  const defaultKind = typeof options.defaultKind === 'string' ? options.defaultKind : undefined;
  const values: string[] = Array.isArray(props.formData)
    ? props.formData.filter((v): v is string => typeof v === 'string')
    : [];
  const set = (next: string[]) => props.onChange(next.length ? next : undefined, path);
  return (
    <div className="chips-field">
      <ul className="chips" aria-label="Chosen entities">
        {values.map((ref) => (
          <li key={ref} className="chip">
            {humanizeRef(ref, defaultKind)}
            <button
              type="button"
              aria-label={`Remove ${ref}`}
              disabled={props.disabled || props.readonly}
              onClick={() => set(values.filter((v) => v !== ref))}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <EntityCombobox
        clearOnPick
        id={id}
        filters={filters}
        defaultKind={defaultKind}
        display=""
        autofocus={props.autofocus}
        disabled={props.disabled || props.readonly}
        required={props.required && values.length === 0}
        invalid={(props.rawErrors?.length ?? 0) > 0}
        describedBy={describedBy(id)}
        onText={() => {}}
        onPick={(entity) => {
          const ref = stringifyEntityRef(entity);
          if (!values.includes(ref)) set([...values, ref]);
        }}
        onFocus={() => props.onFocus(id, values)}
        onBlur={() => props.onBlur(id, values)}
      />
    </div>
  );
}
