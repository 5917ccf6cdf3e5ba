// Saved views on the work list and the cases list: the screen's filters saved by name (the person's
// own, or shared), each a link that opens the screen with them and shows how many items match now.
// The counts are read again with the page's live updates (at most every few seconds) and on a modest
// interval, one request for the whole list, never one per row.

import { useEffect, useRef, useState } from 'preact/hooks';
import { api, can, type Session } from '../api.ts';
import { ErrorBox, announce, useData } from '../components.tsx';
import { onChangesEvery } from '../live.ts';
import { useFormRequest } from '../form-request.ts';

export interface SavedView {
  id: string;
  name: string;
  screen: 'work' | 'cases';
  query: string;
  shared: boolean;
  owner: string;
  revision: number;
  count?: { value: number | null; more: boolean; note?: string };
}

/** Live changes read the counts again at most this often; without any, they are read this often all the same (cases change too). */
const ON_CHANGES_MS = 5000;
const EVERY_MS = 30_000;

/** What the count says: "12", "1,000+" (counted no further), or "not counted" with why. */
function countText(c: SavedView['count']): { text: string; title?: string } {
  if (!c) return { text: '' };
  if (c.value === null) return { text: '–', ...(c.note ? { title: c.note } : {}) };
  return { text: `${c.value.toLocaleString()}${c.more ? '+' : ''}`, ...(c.note ? { title: c.note } : {}) };
}

/** The screen's filters as a view saves them: without the page it is on, nor the card open beside the work list. */
export function viewQuery(query: URLSearchParams): string {
  const q = new URLSearchParams(query);
  q.delete('before');
  q.delete('limit');
  q.delete('selected');
  return q.toString();
}

export function SavedViews({ screen, query, session }: { screen: 'work' | 'cases'; query: URLSearchParams; session: Session }) {
  const list = useData(() => api<{ items: SavedView[]; more: boolean }>('GET', `/v1/views?screen=${screen}&counts=true`), [screen]);
  const reload = useRef(list.reload);
  reload.current = list.reload;
  useEffect(() => {
    const off = onChangesEvery(ON_CHANGES_MS, () => reload.current());
    const t = setInterval(() => reload.current(), EVERY_MS);
    return () => {
      off();
      clearInterval(t);
    };
  }, []);
  const current = viewQuery(query);
  const [name, setName] = useState('');
  const [shared, setShared] = useState(false);
  const save = useFormRequest();
  const change = useFormRequest();
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const r = await save.run(() => api<SavedView>('POST', '/v1/views', { name, screen, query: current, shared }));
    if (!r) return;
    announce(`Saved the view ${r.value.name}`);
    setName('');
    setShared(false);
    list.reload();
  };
  const rename = async (e: Event, v: SavedView): Promise<void> => {
    e.preventDefault();
    if (!renaming) return;
    const r = await change.run(() =>
      api<SavedView>('PATCH', `/v1/views/${v.id}`, { name: renaming.name }, 'application/json', { 'if-match': `"${v.revision}"` }),
    );
    if (!r) return list.reload();
    announce(`Renamed the view to ${r.value.name}`);
    setRenaming(null);
    list.reload();
  };
  const remove = async (v: SavedView): Promise<void> => {
    const r = await change.run(() => api('DELETE', `/v1/views/${v.id}`, undefined, 'application/json', { 'if-match': `"${v.revision}"` }));
    // Gone from the list at once: until the list was read again a second press sent the delete again (a 404).
    const cur = list.data;
    if (r && cur) list.setData({ ...cur, items: cur.items.filter((x) => x.id !== v.id) });
    list.reload();
    if (r) announce(`Deleted the view ${v.name}`);
  };

  const items = list.data?.items ?? [];
  const mayChange = (v: SavedView): boolean => v.owner === session.actsAs || (v.shared && can(session, 'admin'));
  return (
    <section class="saved-views" aria-labelledby={`views-${screen}`}>
      <h2 id={`views-${screen}`}>Saved views</h2>
      <ErrorBox error={list.error} />
      <ErrorBox error={change.error} />
      {list.data && items.length === 0 && <p class="hint">No saved views yet: set filters, then save them below.</p>}
      {items.length > 0 && (
        <ul class="views">
          {items.map((v) => {
            const c = countText(v.count);
            const mine = v.owner === session.actsAs;
            return (
              <li key={v.id} data-view={v.name}>
                {renaming?.id === v.id ? (
                  <form class="rename" onSubmit={(e) => void rename(e, v)}>
                    <label for={`rename-${v.id}`} class="sr-only">
                      New name of {v.name}
                    </label>
                    <input
                      id={`rename-${v.id}`}
                      value={renaming.name}
                      maxLength={100}
                      required
                      onInput={(e) => setRenaming({ id: v.id, name: e.currentTarget.value })}
                    />
                    <button type="submit" disabled={change.busy}>
                      Save name
                    </button>
                    <button type="button" class="link" onClick={() => setRenaming(null)}>
                      Cancel
                    </button>
                  </form>
                ) : (
                  <a
                    class={`count${v.query === current ? ' active' : ''}`}
                    href={`/ui/${screen}${v.query ? `?${v.query}` : ''}`}
                    aria-current={v.query === current ? 'true' : undefined}
                  >
                    {v.name}{' '}
                    {c.text && (
                      <span class="n" title={c.title} data-testid="view-count">
                        {c.text}
                        {c.title && <span class="sr-only"> ({c.title})</span>}
                      </span>
                    )}
                  </a>
                )}{' '}
                {!mine ? <span class="hint inline">shared by {v.owner}</span> : v.shared && <span class="hint inline">shared</span>}
                {mayChange(v) && renaming?.id !== v.id && (
                  <>
                    <button
                      type="button"
                      class="link"
                      onClick={() => setRenaming({ id: v.id, name: v.name })}
                      aria-label={`Rename ${v.name}`}
                    >
                      Rename
                    </button>
                    <button
                      type="button"
                      class="link"
                      disabled={change.busy}
                      onClick={() => void remove(v)}
                      aria-label={`Delete ${v.name}`}
                    >
                      Delete
                    </button>
                  </>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {list.data?.more && <p class="hint">More views are shared than are shown here.</p>}
      <form class="save-view" onSubmit={(e) => void submit(e)}>
        <label for={`view-name-${screen}`}>Save these filters as</label>
        <input
          id={`view-name-${screen}`}
          value={name}
          maxLength={100}
          required
          placeholder="e.g. Failing now"
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <label class="check">
          <input type="checkbox" checked={shared} onChange={(e) => setShared(e.currentTarget.checked)} /> Shared with everyone
        </label>
        <button type="submit" disabled={save.busy}>
          Save view
        </button>
      </form>
      <ErrorBox error={save.error} />
    </section>
  );
}
