/**
 * The design system's interactive parts, built on Radix UI primitives: they bring keyboard
 * handling, focus management and ARIA, and no styles of their own, so everything looks as the
 * tokens in styles.css say. Plugins get them from the plugin API.
 */
import * as Collapsible from '@radix-ui/react-collapsible';
import * as DropdownMenu from '@radix-ui/react-dropdown-menu';
import * as Tooltip from '@radix-ui/react-tooltip';
import { ChevronRight, Ellipsis } from 'lucide-react';
import type { ReactElement, ReactNode } from 'react';

/**
 * Shows `label` on hover and keyboard focus of its one child (which must take a ref and
 * props: a button or a link). The tooltip repeats or explains; it never holds the only name.
 */
export function WithTooltip({ label, children }: { label: ReactNode; children: ReactElement }) {
  return (
    <Tooltip.Provider delayDuration={300}>
      <Tooltip.Root>
        <Tooltip.Trigger asChild>{children}</Tooltip.Trigger>
        <Tooltip.Portal>
          <Tooltip.Content className="tooltip" sideOffset={6}>
            {label}
          </Tooltip.Content>
        </Tooltip.Portal>
      </Tooltip.Root>
    </Tooltip.Provider>
  );
}

/** A section that opens and closes: a button with a chevron, and its content. */
export function Disclosure({
  title,
  children,
  defaultOpen = false,
  className,
}: {
  title: ReactNode;
  children: ReactNode;
  defaultOpen?: boolean;
  className?: string;
}) {
  return (
    <Collapsible.Root
      className={['disclosure', className].filter(Boolean).join(' ')}
      defaultOpen={defaultOpen}
    >
      <Collapsible.Trigger className="disclosure-trigger">
        <ChevronRight size={16} aria-hidden className="disclosure-chevron" />
        {title}
      </Collapsible.Trigger>
      <Collapsible.Content className="disclosure-content">{children}</Collapsible.Content>
    </Collapsible.Root>
  );
}

/** A menu behind an icon button ("More actions"); its items are `MenuItem`s. */
export function Menu({ label, children }: { label: string; children: ReactNode }) {
  return (
    <DropdownMenu.Root modal={false}>
      <DropdownMenu.Trigger className="icon-button" aria-label={label} title={label}>
        <Ellipsis size={18} aria-hidden />
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content className="menu" align="end" sideOffset={6}>
          {children}
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}

/**
 * One menu entry. With `asChild` the child element (a router `Link`) is the item, so a link
 * stays a link; otherwise `onSelect` runs when it is chosen.
 */
export function MenuItem({
  children,
  onSelect,
  asChild,
}: {
  children: ReactNode;
  onSelect?: () => void;
  asChild?: boolean;
}) {
  return (
    <DropdownMenu.Item className="menu-item" onSelect={onSelect} asChild={asChild}>
      {children}
    </DropdownMenu.Item>
  );
}
