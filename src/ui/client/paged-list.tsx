// A list the API pages (`{ items, next }`, `next` passed as `before`: processes, schedules, the
// configuration lists, a case's history), shown a page at a time: "More" adds the next page below the ones shown, and a reload (after a change made
// on the screen) reads again as many pages as were shown, so the row just changed stays in view.

import { useRef } from 'preact/hooks';
import { api } from './api.ts';
import { ErrorBox, useData } from './components.tsx';
import { useFormRequest } from './form-request.ts';

export interface Paged<T> {
  items: T[];
  next: string | null;
}

const after = (path: string, before: string): string => `${path}${path.includes('?') ? '&' : '?'}before=${encodeURIComponent(before)}`;
const idOf = (x: object): string => (x as { id: string }).id;

/** `keyOf`: what tells rows apart (their id; a name for users and queues; a case history entry's seq). */
export function usePagedList<T extends object>(path: string, keyOf: (x: T) => string | number = idOf) {
  const pages = useRef(1);
  const list = useData(async (): Promise<Paged<T>> => {
    const first = await api<Paged<T>>('GET', path);
    const items = [...first.items];
    let next = first.next;
    for (let i = 1; i < pages.current && next !== null; i++) {
      const page: Paged<T> = await api<Paged<T>>('GET', after(path, next));
      items.push(...page.items);
      next = page.next;
    }
    return { items, next };
  }, [path]);
  const more = useFormRequest();
  const readMore = async (): Promise<void> => {
    const cur = list.data;
    if (!cur?.next) return;
    const before = cur.next;
    const r = await more.run(() => api<Paged<T>>('GET', after(path, before)));
    if (!r) return;
    pages.current += 1;
    // Keyset pages do not overlap; a row already shown (a reload that read on meanwhile) is still shown once.
    const shown = new Set(cur.items.map(keyOf));
    list.setData({ items: [...cur.items, ...r.value.items.filter((x) => !shown.has(keyOf(x)))], next: r.value.next });
  };
  return { ...list, more: { read: readMore, busy: more.busy, error: more.error } };
}

/** The button that reads the next page, while there is one, and why it failed. */
export function MoreButton({
  list,
  label,
}: {
  list: { data?: { next: string | null } | undefined; more: { read(): Promise<void>; busy: boolean; error: unknown } };
  label: string;
}) {
  return (
    <>
      <ErrorBox error={list.more.error} />
      {list.data?.next && (
        <button type="button" disabled={list.more.busy} onClick={() => void list.more.read()}>
          {label}
        </button>
      )}
    </>
  );
}
