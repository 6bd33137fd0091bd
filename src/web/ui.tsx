/**
 * The design system's interactive parts, built on Radix UI primitives: they bring keyboard
 * handling, focus management and ARIA, and no styles of their own, so everything looks as the
 * tokens in styles.css say. Plugins get them from the plugin API.
 */
import * as Collapsible from '@radix-ui/react-collapsible';
import * as DropdownMenu from '@radix-ui/react-dropdown-menu';
import * as Tooltip from '@radix-ui/react-tooltip';
import { ChevronRight, Ellipsis } from 'lucide-react';
import {
  type ReactElement,
  type ReactNode,
  type RefCallback,
  useCallback,
  useEffect,
  useState,
} from 'react';

/** Elements that are landmarks (or stand for one by their role). */
const LANDMARKS =
  'main, header, nav, aside, footer, form[aria-label], section[aria-label], section[aria-labelledby], [role="main"], [role="banner"], [role="navigation"], [role="complementary"], [role="contentinfo"], [role="region"], [role="search"], [role="form"]';

/**
 * Where a popup (a menu, a tooltip) is drawn: in the outermost landmark around the element
 * that opens it (the page's main, the sidebar's navigation, the top bar), not at the end of
 * the body, where it would be content outside every landmark (axe-core's `region` rule) and
 * a screen reader's landmark list would not find it. Popups are positioned `fixed`, so the
 * container does not move them. Undefined (the body) until the trigger is on the page.
 */
export function useLandmarkContainer(): {
  ref: RefCallback<HTMLElement>;
  container: HTMLElement | undefined;
} {
  const [container, setContainer] = useState<HTMLElement>();
  const ref = useCallback((el: HTMLElement | null) => {
    let outermost: HTMLElement | undefined;
    for (let at = el?.parentElement; at && at !== document.body; at = at.parentElement)
      if (at.matches(LANDMARKS)) outermost = at;
    setContainer(outermost);
  }, []);
  return { ref, container };
}

/**
 * Shows `label` on hover and keyboard focus of its one child (which must take a ref and
 * props: a button or a link), on its `side`. The tooltip repeats or explains; it never holds
 * the only name.
 */
export function WithTooltip({
  label,
  children,
  side,
}: {
  label: ReactNode;
  children: ReactElement;
  side?: 'top' | 'right' | 'bottom' | 'left';
}) {
  const { ref, container } = useLandmarkContainer();
  return (
    <Tooltip.Provider delayDuration={300}>
      <Tooltip.Root>
        <Tooltip.Trigger asChild ref={ref}>
          {children}
        </Tooltip.Trigger>
        <Tooltip.Portal container={container}>
          <Tooltip.Content className="tooltip" side={side} sideOffset={6}>
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
  const { ref, container } = useLandmarkContainer();
  return (
    <DropdownMenu.Root modal={false}>
      <DropdownMenu.Trigger ref={ref} className="icon-button" aria-label={label} title={label}>
        <Ellipsis size={18} aria-hidden />
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal container={container}>
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

/**
 * Props for an element that scrolls its content (a wide table, a long YAML file): while the
 * content overflows it is a named region in the tab order, so that keyboard users can scroll
 * it with the arrow keys (WCAG 2.1.1); while everything fits it is no tab stop.
 */
export function useScrollable(label: string): {
  ref: RefCallback<HTMLElement>;
  tabIndex?: number;
  role?: 'region';
  'aria-label'?: string;
} {
  const [box, setBox] = useState<HTMLElement | null>(null);
  const [overflows, setOverflows] = useState(false);
  useEffect(() => {
    if (!box) return;
    const measure = () =>
      setOverflows(
        box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1,
      );
    measure();
    // The box resizes with the window, its content with the data, and a child may be swapped
    // for another (a table for an empty state): any of them may start or end the overflow.
    const resize = new ResizeObserver(measure);
    const watch = () => {
      resize.disconnect();
      resize.observe(box);
      for (const child of Array.from(box.children)) resize.observe(child);
      measure();
    };
    watch();
    const mutation = new MutationObserver(watch);
    mutation.observe(box, { childList: true });
    return () => {
      resize.disconnect();
      mutation.disconnect();
    };
  }, [box]);
  const ref = useCallback((el: HTMLElement | null) => setBox(el), []);
  return overflows ? { ref, tabIndex: 0, role: 'region', 'aria-label': label } : { ref };
}

/** A table's (or any wide content's) container that scrolls sideways inside the page. */
export function ScrollArea({
  label,
  children,
  className = 'table-wrap',
}: {
  /** Names the region for assistive technology while it scrolls (e.g. "Audit events"). */
  label: string;
  children: ReactNode;
  className?: string;
}) {
  const scrollable = useScrollable(label);
  return (
    <div className={className} {...scrollable}>
      {children}
    </div>
  );
}
