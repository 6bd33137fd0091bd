import { Landmark, Moon, Sun } from 'lucide-react';
import { type FormEvent, useEffect, useState, useSyncExternalStore } from 'react';
import { Link, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { PluginFailures } from './external-plugins.tsx';
import {
  type SearchBoxProps,
  type SidebarItem,
  usePageTitle,
  usePermissions,
  useExtensions,
} from './plugin-api.ts';
import { sidebarIcon } from './sidebar-icons.ts';
import { useTheme } from './theme.ts';
import { WithTooltip } from './ui.tsx';

/** Sidebar items from this order on are about running the portal, listed apart at the end. */
const ADMIN_ORDER = 90;

/**
 * The shell's own search box, used when no plugin provides one (`searchBox` in the plugin
 * API): opens the catalog with a text filter.
 */
export function SearchBox({ id, large, shortcut }: SearchBoxProps) {
  const navigate = useNavigate();
  const [text, setText] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const term = text.trim();
    navigate(term ? `/catalog?text=${encodeURIComponent(term)}` : '/catalog');
  };
  return (
    <form
      aria-label="Search"
      className={large ? 'search search-large' : 'search'}
      onSubmit={submit}
    >
      <label htmlFor={id} className="visually-hidden">
        Search the catalog
      </label>
      <input
        id={id}
        type="search"
        placeholder="Search the catalog…"
        aria-keyshortcuts={shortcut}
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <button type="submit">Search</button>
    </form>
  );
}

function HomePage() {
  usePageTitle('Home');
  const { homeCards, searchBox: Search = SearchBox } = useExtensions();
  return (
    <div className="page">
      <h1>Welcome to Atrium</h1>
      <p className="muted">
        Find services, APIs, teams and everything else your organisation runs.
      </p>
      <Search id="home-search" large />
      <div className="card-grid">
        {homeCards.map(({ id, component: Card }) => (
          <Card key={id} />
        ))}
      </div>
    </div>
  );
}

/** Where the sidebar keeps only its icons (styles.css says the same width). */
const ICON_SIDEBAR = '(max-width: 900px)';

/** Whether the window matches a media query, kept current as it resizes. */
function useMediaQuery(query: string): boolean {
  return useSyncExternalStore(
    (changed) => {
      const list = window.matchMedia?.(query);
      list?.addEventListener('change', changed);
      return () => list?.removeEventListener('change', changed);
    },
    () => window.matchMedia?.(query).matches ?? false,
  );
}

/** The key that focuses the top bar's search box, as on GitHub and in MkDocs. */
const SEARCH_SHORTCUT = '/';

/**
 * Focuses the element with this id when `key` is pressed outside a text field, so the search
 * box is a key press away on every page.
 */
function useFocusShortcut(key: string, id: string) {
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== key || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.defaultPrevented) return;
      const target = event.target as HTMLElement | null;
      // Typing a slash into a field (or a page's own editor) stays typing.
      if (
        target?.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]')
      )
        return;
      const box = document.getElementById(id);
      if (!box) return;
      event.preventDefault();
      box.focus();
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, [key, id]);
}

function NotFound() {
  usePageTitle('Not found');
  const location = useLocation();
  return (
    <div className="page">
      <h1>Page not found</h1>
      <p>
        Nothing lives at <code>{location.pathname}</code>. <Link to="/">Go home</Link>.
      </p>
    </div>
  );
}

/**
 * A sidebar item is active when the URL is exactly its target (items with a query string,
 * like APIs = `/catalog?kind=api`), else when the path is under its path and no more
 * specific item matches exactly.
 */
function isActive(
  to: string,
  items: Array<{ to: string }>,
  location: { pathname: string; search: string },
): boolean {
  const here = location.pathname + location.search;
  if (to.includes('?')) return here.toLowerCase() === to.toLowerCase();
  if (items.some((i) => i.to.includes('?') && i.to.toLowerCase() === here.toLowerCase()))
    return false;
  if (to === '/') return location.pathname === '/';
  return location.pathname === to || location.pathname.startsWith(`${to}/`);
}

export function App() {
  const { routes, sidebarItems, topBarItems, searchBox: Search = SearchBox } = useExtensions();
  const { theme, toggle } = useTheme();
  const location = useLocation();
  // Items behind a permission are hidden from callers denied it (shown while asking).
  const gated = sidebarItems.filter((i) => i.permission);
  const answers = usePermissions(gated.map((i) => ({ permission: i.permission! })));
  const denied = new Set(
    gated.filter((_, n) => answers?.[n]?.result === 'DENY').map((i) => i.permission),
  );
  const items: SidebarItem[] = [
    { to: '/', label: 'Home', order: 0 },
    ...sidebarItems.filter((i) => !i.permission || !denied.has(i.permission)),
  ];
  const sections = [
    { label: 'Portal', items: items.filter((i) => (i.order ?? 100) < ADMIN_ORDER) },
    { label: 'Manage', items: items.filter((i) => (i.order ?? 100) >= ADMIN_ORDER) },
  ].filter((section) => section.items.length > 0);
  const ThemeIcon = theme === 'dark' ? Sun : Moon;
  const iconsOnly = useMediaQuery(ICON_SIDEBAR);
  useFocusShortcut(SEARCH_SHORTCUT, 'global-search');
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          <span className="brand-mark" aria-hidden="true">
            <Landmark size={18} />
          </span>
          <span className="brand-name">Atrium</span>
        </Link>
        <Search id="global-search" shortcut={SEARCH_SHORTCUT} />
        <button
          type="button"
          className="theme-toggle"
          onClick={toggle}
          title={theme === 'dark' ? 'Switch to the light theme' : 'Switch to the dark theme'}
        >
          {/* The name is the visible words (WCAG 2.5.3, label in name); the icon is decoration. */}
          <ThemeIcon size={16} aria-hidden />
          {theme === 'dark' ? 'Light theme' : 'Dark theme'}
        </button>
        {topBarItems.map(({ id, component: Item }) => (
          <Item key={id} />
        ))}
      </header>
      <nav className="sidebar" aria-label="Main">
        <div className="sidebar-inner">
          {sections.map((section) => (
            <ul key={section.label} className="sidebar-section" aria-label={section.label}>
              {section.items.map((item) => {
                const active = isActive(item.to, items, location);
                const Icon = item.icon ?? sidebarIcon(item.to);
                const link = (
                  <Link
                    to={item.to}
                    className={active ? 'active' : undefined}
                    aria-current={active ? 'page' : undefined}
                  >
                    <Icon size={18} aria-hidden />
                    <span className="nav-label">{item.label}</span>
                  </Link>
                );
                // With only icons on screen, hover and keyboard focus show the label beside it.
                return (
                  <li key={item.to}>
                    {iconsOnly ? (
                      <WithTooltip label={item.label} side="right">
                        {link}
                      </WithTooltip>
                    ) : (
                      link
                    )}
                  </li>
                );
              })}
            </ul>
          ))}
        </div>
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        <PluginFailures />
        <Routes>
          <Route path="/" element={<HomePage />} />
          {routes.map(({ path, component: Page }) => (
            <Route key={path} path={path} element={<Page />} />
          ))}
          <Route path="*" element={<NotFound />} />
        </Routes>
      </main>
    </div>
  );
}
