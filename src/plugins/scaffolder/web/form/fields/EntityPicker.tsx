/**
 * EntityPicker and the pickers built on it (OwnerPicker, OwnedEntityPicker, MyGroupsPicker,
 * MultiEntityPicker): a combobox that searches the catalog as you type. The value is an entity
 * ref (`group:default/team-a`); with `allowArbitraryValues` (the default) typed text is
 * accepted too, completed to a full ref with `defaultKind` and `defaultNamespace` as Backstage
 * does (`team-a` → `group:default/team-a`).
 */
import type { FieldProps } from '@rjsf/utils';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type KeyboardEvent, useEffect, useId, useMemo, useState } from 'react';
import type { Entity } from '../../../../../model/entity.ts';
import { stringifyEntityRef } from '../../../../../model/ref.ts';
import { useIdentity } from '../../../../../web/plugin-api.ts';
import { searchEntities } from '../../api.ts';
import { completeEntityRef, humanizeRef, pickerFilters } from '../field-values.ts';
import { describedBy, PRESET_CHANGE_ID, uiOptions } from './field-helpers.ts';

const SUGGESTIONS = 20;
const DEBOUNCE_MS = 200;

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

/** How a picker shortens refs: `ui:options.defaultKind` and `defaultNamespace`. */
interface RefDefaults {
  defaultKind?: string;
  defaultNamespace?: string | false;
}

const labelKey = (d: RefDefaults, ref: string) =>
  `${d.defaultKind ?? ''}|${d.defaultNamespace ?? ''}|${ref}`;

function entityLabel(entity: Entity, d: RefDefaults): string {
  const ref = humanizeRef(stringifyEntityRef(entity), d.defaultKind, d.defaultNamespace);
  const title = entity.metadata.title;
  const label =
    typeof title === 'string' && title && title !== entity.metadata.name
      ? `${title} (${ref})`
      : ref;
  seenLabels.set(labelKey(d, stringifyEntityRef(entity)), label);
  return label;
}

/** What the input shows for a value: the label it was chosen by, else the short ref. */
function valueLabel(value: string, d: RefDefaults): string {
  return (
    seenLabels.get(labelKey(d, value)) ?? humanizeRef(value, d.defaultKind, d.defaultNamespace)
  );
}

function refDefaults(options: Record<string, unknown>, fallbackKind?: string): RefDefaults {
  const ns = options.defaultNamespace;
  return {
    defaultKind: typeof options.defaultKind === 'string' ? options.defaultKind : fallbackKind,
    defaultNamespace: typeof ns === 'string' && ns ? ns : ns === false ? false : undefined,
  };
}

interface ComboboxProps {
  id: string;
  filters: string[];
  defaults: RefDefaults;
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
  /** Enter on typed text when no suggestion is active (a list field adds it). */
  onEnterText?(text: string): void;
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
    setText(props.clearOnPick ? '' : entityLabel(entity, props.defaults));
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
    } else if (event.key === 'Enter' && props.onEnterText && text.trim()) {
      event.preventDefault();
      props.onEnterText(text);
      setText('');
      setOpen(false);
      setActive(-1);
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
            {entityLabel(entity, props.defaults)}
          </div>
        ))}
      </div>
      {open && !suggestions.isPending && items.length === 0 && (
        <div className="combobox-empty muted">{status}</div>
      )}
    </div>
  );
}

/**
 * One entity ref; `fallbackKinds` apply when the template sets no filter, `conditions` (the
 * caller's ownership) are added to every filter.
 */
function EntityPickerField({
  fallbackKinds,
  fallbackDefaultKind,
  conditions = NO_CONDITIONS,
  arbitraryByDefault = true,
  note,
  ...props
}: FieldProps & {
  fallbackKinds: string[];
  fallbackDefaultKind?: string;
  conditions?: Record<string, string[]>;
  arbitraryByDefault?: boolean;
  note?: string;
}) {
  const options = uiOptions(props);
  const id = props.fieldPathId.$id;
  const path = props.fieldPathId.path;
  const filtersKey = JSON.stringify([options.catalogFilter, options.allowedKinds, conditions]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed by the options' content
  const filters = useMemo(() => pickerFilters(options, fallbackKinds, conditions), [filtersKey]);
  const defaults = refDefaults(options, fallbackDefaultKind);
  const arbitrary =
    typeof options.allowArbitraryValues === 'boolean'
      ? options.allowArbitraryValues
      : arbitraryByDefault;
  const value = typeof props.formData === 'string' ? props.formData : '';
  return (
    <>
      <EntityCombobox
        id={id}
        filters={filters}
        defaults={defaults}
        display={value ? valueLabel(value, defaults) : ''}
        placeholder={props.uiSchema?.['ui:placeholder'] as string | undefined}
        autofocus={props.autofocus}
        disabled={props.disabled || props.readonly}
        required={props.required}
        invalid={(props.rawErrors?.length ?? 0) > 0}
        describedBy={describedBy(id)}
        onText={(text) =>
          props.onChange(
            arbitrary && text.trim()
              ? completeEntityRef(text, defaults.defaultKind, defaults.defaultNamespace)
              : undefined,
            path,
          )
        }
        onPick={(entity) => props.onChange(stringifyEntityRef(entity), path)}
        onFocus={() => props.onFocus(id, value)}
        onBlur={() => props.onBlur(id, value)}
      />
      {note && (
        <p className="field-note muted" role="note">
          {note}
        </p>
      )}
    </>
  );
}

const NO_CONDITIONS: Record<string, string[]> = {};
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

/**
 * Entities owned by the signed-in user or one of their groups (`relations.ownedBy`), as in
 * Backstage. The guest owns nothing, so without sign-in every entity is offered, and said so.
 */
export function OwnedEntityPicker(props: FieldProps) {
  const identity = useIdentity();
  const conditions = useMemo(
    () =>
      identity.isGuest
        ? NO_CONDITIONS
        : {
            // Never empty, which would be no condition at all: the user owns as themselves.
            'relations.ownedBy': [
              ...new Set([identity.userEntityRef, ...identity.ownershipEntityRefs]),
            ],
          },
    [identity],
  );
  return (
    <EntityPickerField
      {...props}
      fallbackKinds={ANY_KIND}
      conditions={conditions}
      note={
        identity.isGuest
          ? 'You are not signed in, so every entity is offered, not only the ones you own.'
          : undefined
      }
    />
  );
}

/**
 * The groups the signed-in user is a member of (`relations.hasMember`), as in Backstage: no
 * typed values, and the only group is chosen when the field is required. Without sign-in
 * every group is offered, and said so.
 */
export function MyGroupsPicker(props: FieldProps) {
  const identity = useIdentity();
  const conditions = useMemo(
    () =>
      identity.isGuest
        ? NO_CONDITIONS
        : { kind: ['Group'], 'relations.hasMember': [identity.userEntityRef] },
    [identity],
  );
  const filters = identity.isGuest ? [] : pickerFilters({}, [], conditions);
  const only = useQuery({
    queryKey: ['scaffolder-picker', filters, '', 'only'],
    queryFn: ({ signal }) => searchEntities(filters, '', 2, signal),
    enabled: Boolean(props.required) && !identity.isGuest && !props.formData,
    staleTime: 30_000,
  });
  const single = only.data?.totalItems === 1 ? only.data.items[0] : undefined;
  const { onChange, formData, fieldPathId } = props;
  useEffect(() => {
    if (single && !formData) {
      onChange(stringifyEntityRef(single), fieldPathId.path, undefined, PRESET_CHANGE_ID);
    }
  }, [single, formData, onChange, fieldPathId]);
  return (
    <EntityPickerField
      {...props}
      // The template's filter narrows the user's groups further, never widens them.
      uiSchema={{
        ...props.uiSchema,
        'ui:options': { ...uiOptions(props), allowedKinds: undefined },
      }}
      fallbackKinds={identity.isGuest ? GROUP_KINDS : ANY_KIND}
      fallbackDefaultKind="Group"
      conditions={conditions}
      arbitraryByDefault={false}
      note={
        identity.isGuest
          ? 'You are not signed in, so every group is offered, not only yours.'
          : undefined
      }
    />
  );
}

/**
 * A list of entity refs: chosen entities as removable chips, and a combobox to add more; with
 * `allowArbitraryValues` (the default) Enter adds the typed ref.
 */
export function MultiEntityPicker(props: FieldProps) {
  const options = uiOptions(props);
  const id = props.fieldPathId.$id;
  const path = props.fieldPathId.path;
  const filtersKey = JSON.stringify([options.catalogFilter, options.allowedKinds]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed by the options' content
  const filters = useMemo(() => pickerFilters(options, []), [filtersKey]);
  const defaults = refDefaults(options);
  const arbitrary = options.allowArbitraryValues !== false;
  const values: string[] = Array.isArray(props.formData)
    ? props.formData.filter((v): v is string => typeof v === 'string')
    : [];
  const set = (next: string[]) => props.onChange(next.length ? next : undefined, path);
  const add = (ref: string) => {
    if (!values.includes(ref)) set([...values, ref]);
  };
  return (
    <div className="chips-field">
      <ul className="chips" aria-label="Chosen entities">
        {values.map((ref) => (
          <li key={ref} className="chip">
            {humanizeRef(ref, defaults.defaultKind, defaults.defaultNamespace)}
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
        defaults={defaults}
        display=""
        placeholder={arbitrary ? 'Search, or type a ref and press Enter' : undefined}
        autofocus={props.autofocus}
        disabled={props.disabled || props.readonly}
        required={props.required && values.length === 0}
        invalid={(props.rawErrors?.length ?? 0) > 0}
        describedBy={describedBy(id)}
        onText={() => {}}
        onEnterText={
          arbitrary
            ? (text) =>
                add(completeEntityRef(text, defaults.defaultKind, defaults.defaultNamespace))
            : undefined
        }
        onPick={(entity) => add(stringifyEntityRef(entity))}
        onFocus={() => props.onFocus(id, values)}
        onBlur={() => props.onBlur(id, values)}
      />
    </div>
  );
}
