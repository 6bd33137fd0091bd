/**
 * Which columns the catalog explorer shows: the person's choice, kept in this browser
 * (`atrium.catalog.hidden-columns`, the ids of the hidden ones, so a column a plugin adds later
 * shows until it is hidden), and the menu that changes it.
 */
import * as DropdownMenu from '@radix-ui/react-dropdown-menu';
import { Check, Columns3 } from 'lucide-react';
import { useCallback, useSyncExternalStore } from 'react';
import { useLandmarkContainer } from '../../../web/plugin-api.ts';

const KEY = 'atrium.catalog.hidden-columns';
const CHANGED_EVENT = 'atrium:columns-changed';

export interface ColumnChoice {
  id: string;
  title: string;
}

function readRaw(): string {
  try {
    return localStorage.getItem(KEY) ?? '[]';
  } catch {
    return '[]';
  }
}

function parse(raw: string): string[] {
  try {
    const value: unknown = JSON.parse(raw);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener(CHANGED_EVENT, onChange);
  window.addEventListener('storage', onChange);
  return () => {
    window.removeEventListener(CHANGED_EVENT, onChange);
    window.removeEventListener('storage', onChange);
  };
}

/** Whether each column is shown, and a function to show or hide one. */
export function useColumnChoice(): {
  shown(id: string): boolean;
  setShown(id: string, shown: boolean): void;
} {
  const raw = useSyncExternalStore(subscribe, readRaw);
  const shown = useCallback((id: string) => !parse(raw).includes(id), [raw]);
  const setShown = useCallback((id: string, show: boolean) => {
    const rest = parse(readRaw()).filter((h) => h !== id);
    try {
      localStorage.setItem(KEY, JSON.stringify(show ? rest : [...rest, id]));
    } catch {
      // storage unavailable: the choice is not kept
    }
    window.dispatchEvent(new Event(CHANGED_EVENT));
  }, []);
  return { shown, setShown };
}

/** "Columns": a menu of checkboxes, one per column; it stays open while columns are chosen. */
export function ColumnChooser({ columns }: { columns: ColumnChoice[] }) {
  const { shown, setShown } = useColumnChoice();
  const hidden = columns.filter((c) => !shown(c.id)).length;
  const { ref, container } = useLandmarkContainer();
  return (
    <DropdownMenu.Root modal={false}>
      <DropdownMenu.Trigger ref={ref} className="icon-button explorer-columns-button">
        <Columns3 size={16} aria-hidden />
        Columns{hidden ? ` (${hidden} hidden)` : ''}
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal container={container}>
        <DropdownMenu.Content className="menu" align="end" sideOffset={6}>
          <DropdownMenu.Label className="menu-label">Show columns</DropdownMenu.Label>
          <DropdownMenu.CheckboxItem className="menu-item" checked disabled>
            <span className="menu-check">
              <Check size={14} aria-hidden />
            </span>
            Name
          </DropdownMenu.CheckboxItem>
          {columns.map((c) => (
            <DropdownMenu.CheckboxItem
              key={c.id}
              className="menu-item"
              checked={shown(c.id)}
              onCheckedChange={(checked) => setShown(c.id, checked === true)}
              onSelect={(event) => event.preventDefault()}
            >
              <span className="menu-check">
                <DropdownMenu.ItemIndicator>
                  <Check size={14} aria-hidden />
                </DropdownMenu.ItemIndicator>
              </span>
              {c.title}
            </DropdownMenu.CheckboxItem>
          ))}
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}
