// Every view is a URL: the path picks the screen, the query string holds filters and paging.

import { useEffect, useState } from 'preact/hooks';

export interface Location {
  path: string;
  query: URLSearchParams;
}

const read = (): Location => ({ path: window.location.pathname, query: new URLSearchParams(window.location.search) });

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new Event('callout:navigate'));
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(read);
  useEffect(() => {
    const on = (): void => setLoc(read());
    window.addEventListener('popstate', on);
    window.addEventListener('callout:navigate', on);
    // A navigation between the first render and this effect (it runs after a paint) was not heard: read now.
    const now = read();
    setLoc((cur) => (cur.path === now.path && cur.query.toString() === now.query.toString() ? cur : now));
    return () => {
      window.removeEventListener('popstate', on);
      window.removeEventListener('callout:navigate', on);
    };
  }, []);
  return loc;
}

/** The URL's fragment (`#entry-12`), followed as it changes: a link to part of a page. */
export function useHash(): string {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const on = (): void => setHash(window.location.hash);
    window.addEventListener('hashchange', on);
    on();
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash;
}

/** A query string from a record, leaving out empty values. */
export function qs(params: Record<string, string | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Follows in-page links without a reload; modified clicks open tabs as usual. */
export function onLinkClick(e: MouseEvent): void {
  const a = (e.target as Element | null)?.closest?.('a');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const href = a.getAttribute('href');
  if (!href || !href.startsWith('/ui/') || a.hasAttribute('download') || a.target) return;
  e.preventDefault();
  navigate(href);
  // Move focus to the new view's heading, for keyboard and screen-reader users; a link that opens part of
  // the page (a subscription's deliveries) names that part's heading in data-focus.
  const part = a.dataset.focus;
  requestAnimationFrame(() => ((part && document.getElementById(part)) || document.querySelector<HTMLElement>('main h1'))?.focus());
}
