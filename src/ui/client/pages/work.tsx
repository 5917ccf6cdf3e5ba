// The work manager: actions by state, phase, reason, action type, case, queue, assignee and
// external reference; counts per state that are filters; keyset paging; live updates that change
// rows in place and announce new actions with a "+N new" banner instead of moving the list.

import { useEffect, useRef, useState } from 'preact/hooks';
import { api, can, keepCaseTitle, readWholeList, titleOf, type ActionView, type Session } from '../api.ts';
import { navigate, qs } from '../router.ts';
import {
  DueTime,
  ErrorBox,
  PHASE_LABELS,
  REASON_LABELS,
  ReadFailed,
  RESOLUTION_LABELS,
  STATE_LABELS,
  StateBadge,
  Time,
  announce,
  stateText,
  useData,
  useFormState,
  whyLine,
} from '../components.tsx';
import { onChangesEvery, subscribe } from '../live.ts';
import { mayRelease, queuesOf, useQueues } from '../task-queues.ts';
import { ActionCard } from './action.tsx';
import { replayCannotUse, replayHref } from '../replay-link.ts';
import { SavedViews } from './saved-views.tsx';

/** Filter keys as in GET /v1/actions, and their words in the typed query. */
const KEYS: Array<[key: string, word: string]> = [
  ['state', 'state'],
  ['phase', 'phase'],
  ['reason', 'reason'],
  ['resolution', 'resolution'],
  ['actionType', 'type'],
  ['connector', 'connector'],
  ['caseId', 'case'],
  ['externalReference', 'ref'],
  ['queue', 'queue'],
  ['assignee', 'assignee'],
  ['unassigned', 'unassigned'],
  ['escalated', 'escalated'],
  ['due', 'due'],
  // Not offered as a quick view, but a saved view (or link) with it lists what its count counts.
  ['dueBefore', 'due-before'],
  ['q', 'text'],
];
/** The list's filters and its order (`sort=due`: those with a due time, the earliest first), as in the URL. */
const FILTER_KEYS = [...KEYS.map(([k]) => k), 'sort'];
const COUNT_KEYS = [
  'actionType',
  'connector',
  'q',
  'caseId',
  'externalReference',
  'queue',
  'assignee',
  'unassigned',
  'escalated',
  'due',
  'dueBefore',
  // Sorted by due time the list holds only work that has one: the counts beside it count that too.
  'sort',
];
const PAGE = 50;
/** Live refresh pacing: the shown page at most this often, the counts this often (slower for a while after an overflow). */
const LIST_EVERY_MS = 3000;
const COUNTS_EVERY_MS = 1000;
const COUNTS_EVERY_OVERFLOW_MS = 5000;
const OVERFLOW_SLOW_MS = 10_000;
/** More changed rows than this in one message: one list call instead of a request per row. */
const FEW = 5;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Filters = Record<string, string | undefined>;

export function filtersOf(q: URLSearchParams): Filters {
  return Object.fromEntries(FILTER_KEYS.map((k) => [k, q.get(k) ?? undefined]));
}

/** A word of the box: `key:value`, `key:"a value with spaces"`, `"a phrase"` or a bare word. */
const TOKEN = /(?:[^\s":]+:)?"[^"]*"?|\S+/g;
const unquote = (v: string): string => v.replace(/^"/, '').replace(/"$/, '');

/**
 * `state:waiting type:create-ticket ref:EXT-1 type:"send letter"`; a bare action id opens it; other
 * bare words are text searched in the input (custom data) and the external reference (q).
 */
export function parseQuery(text: string): { filters: Filters; actionId?: string } {
  const filters: Filters = {};
  const words: string[] = [];
  for (const part of text.trim().match(TOKEN) ?? []) {
    const i = part.startsWith('"') ? -1 : part.indexOf(':');
    const word = i > 0 ? part.slice(0, i) : '';
    const k = KEYS.find(([, w]) => w === word)?.[0];
    if (k && k !== 'q') filters[k] = unquote(part.slice(i + 1));
    else if (k) words.push(unquote(part.slice(i + 1)));
    else if (UUID.test(part)) return { filters, actionId: part };
    else words.push(unquote(part));
  }
  if (words.length > 0) filters.q = words.join(' ');
  return { filters };
}

export function queryText(f: Filters): string {
  // A value with a space is quoted, so that it reads back whole (action type and queue names may have spaces).
  // The free text goes last and bare, as it was typed.
  return KEYS.filter(([k]) => f[k] && k !== 'q')
    .map(([k, w]) => `${w}:${/\s/.test(f[k]!) ? `"${f[k]}"` : f[k]}`)
    .concat(f.q ? [f.q] : [])
    .join(' ');
}

/** One chip per connector: the actions of its action types. */
function ConnectorChips({ f }: { f: Filters }) {
  const list = useData(() => readWholeList<{ id: string; name: string }>('/v1/connectors'), []);
  // A failed read is said as such: no chips at all would read as "no connectors".
  if (list.error)
    return (
      <ReadFailed what="Connectors" about=", so the connector filter is not shown" error={list.error} testId="connectors-failed">
        <button type="button" class="link" onClick={list.reload}>
          Try again
        </button>
      </ReadFailed>
    );
  const items = list.data?.items ?? [];
  if (items.length === 0) return null;
  const chip = (label: string, connector: string | undefined) => (
    <li key={label}>
      <a
        class={`count${f.connector === connector ? ' active' : ''}`}
        href={`/ui/work${qs({ ...f, connector, before: undefined })}`}
        aria-current={f.connector === connector ? 'true' : undefined}
      >
        {label}
      </a>
    </li>
  );
  return (
    <nav aria-label="Connector">
      <ul class="counts">
        {chip('Any connector', undefined)}
        {items.map((c) => chip(c.name, c.name))}
      </ul>
    </nav>
  );
}

interface Counts {
  states: Record<string, number>;
  phases: Record<string, number>;
  reasons: Record<string, number>;
  resolutions: Record<string, number>;
  /** A text search stopped at its time budget: each number counts those found so far. */
  more: boolean;
}

/** A count as shown: `+` when the search behind it stopped before reading every action and found some. */
const shown = (n: number, more: boolean): string => `${n.toLocaleString()}${more && n > 0 ? '+' : ''}`;

function CountChips({ counts, f }: { counts: Counts; f: Filters }) {
  const base = Object.fromEntries(COUNT_KEYS.map((k) => [k, f[k]]));
  const chip = (label: string, n: number, params: Filters, active: boolean, sub = false) => (
    <li>
      <a
        class={`count${active ? ' active' : ''}${sub ? ' sub' : ''}`}
        href={`/ui/work${qs({ ...base, ...params })}`}
        aria-current={active ? 'true' : undefined}
      >
        {label} <span class="n">{shown(n, counts.more)}</span>
      </a>
    </li>
  );
  const total = Object.values(counts.states).reduce((a, b) => a + b, 0);
  const subs = (state: string, map: Record<string, number>, key: string, labels: Record<string, string>) =>
    f.state === state &&
    Object.entries(map)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => chip(labels[k] ?? k, n, { state, [key]: k }, f[key] === k, true));
  return (
    <nav aria-label="Counts by state">
      <ul class="counts">
        {chip('All', total, {}, !f.state)}
        {Object.entries(counts.states).map(([s, n]) => [
          chip(STATE_LABELS[s] ?? s, n, { state: s }, f.state === s && !f.phase && !f.reason && !f.resolution),
          subs(
            s,
            s === 'waiting' ? counts.phases : s === 'todo' ? counts.reasons : s === 'closed' ? counts.resolutions : {},
            s === 'waiting' ? 'phase' : s === 'todo' ? 'reason' : 'resolution',
            s === 'waiting' ? PHASE_LABELS : s === 'todo' ? REASON_LABELS : RESOLUTION_LABELS,
          ),
        ])}
      </ul>
      {counts.more && <p class="hint">The search stopped counting after a second: a number with + is what it found by then.</p>}
    </nav>
  );
}

function FilterBar({ f }: { f: Filters }) {
  // Another filter in the address (a saved view opened, Back): the box shows its words in that same render.
  const [text, setText] = useFormState(queryText(f), () => queryText(f));
  const submit = (e: Event): void => {
    e.preventDefault();
    const r = parseQuery(text);
    if (r.actionId) navigate(`/ui/actions/${r.actionId}`);
    // A search keeps the order the list is in.
    else navigate(`/ui/work${qs({ ...r.filters, sort: f.sort })}`);
  };
  const active = KEYS.filter(([k]) => f[k]);
  return (
    <div class="filters">
      <form role="search" onSubmit={submit}>
        <label for="q">Search</label>
        <input
          id="q"
          type="search"
          value={text}
          placeholder="action id, text in the data or reference, or state:waiting connector:… case:…"
          onInput={(e) => setText(e.currentTarget.value)}
          aria-describedby="q-hint"
        />
        <button type="submit">Search</button>
        <small id="q-hint" class="hint">
          Words: {KEYS.map(([, w]) => `${w}:`).join(' ')}
        </small>
      </form>
      {active.length > 0 && (
        <ul class="chips" aria-label="Active filters">
          {active.map(([k, w]) => (
            <li key={k}>
              <span class="chip">
                {w}: {f[k]}
                <a href={`/ui/work${qs({ ...f, [k]: undefined, before: undefined })}`} aria-label={`Remove filter ${w}`}>
                  ×
                </a>
              </span>
            </li>
          ))}
          <li>
            <a href="/ui/work">Clear all</a>
          </li>
        </ul>
      )}
    </div>
  );
}

/** How many tasks a count answer holds that a person still has to do (To Do and In Progress), as shown. */
const openTasks = (c: Counts | undefined): string | undefined =>
  c ? shown((c.states.todo ?? 0) + (c.states.in_progress ?? 0), c.more) : undefined;

/**
 * Counts of the quick views are read again at most this often while anything changes (and at once after
 * the person's own change here): the state counts already cost the store a COUNT per state each second.
 */
const WHOSE_COUNTS_EVERY_MS = 30_000;

/**
 * Mine (assignee=me: the user the key acts as) or unassigned, as tabs over the other filters, each with
 * how many open tasks (To Do or In Progress) it holds; and the queues the person is a member of, one
 * click each. Two reads of the counts route, again after `changes` (the person's own) and at most every
 * WHOSE_COUNTS_EVERY_MS while the feed says anything changed.
 */
function Whose({ f, session, countsKey, changes }: { f: Filters; session: Session; countsKey: Filters; changes: number }) {
  const rest = { ...f, assignee: undefined, unassigned: undefined };
  const base = { ...countsKey, assignee: undefined, unassigned: undefined };
  const key = qs(base);
  const mine = useData(() => api<Counts>('GET', `/v1/actions/counts${qs({ ...base, assignee: 'me' })}`), [key, changes]);
  const free = useData(() => api<Counts>('GET', `/v1/actions/counts${qs({ ...base, unassigned: 'true' })}`), [key, changes]);
  // Overdue is over whoever's work the tabs show: Mine and Overdue together are my overdue tasks.
  const lateKey = qs({ ...countsKey, due: 'overdue' });
  const late = useData(() => api<Counts>('GET', `/v1/actions/counts${lateKey}`), [lateKey, changes]);
  const reload = useRef(() => (mine.reload(), free.reload(), late.reload()));
  reload.current = () => (mine.reload(), free.reload(), late.reload());
  useEffect(() => onChangesEvery(WHOSE_COUNTS_EVERY_MS, () => reload.current()), []);
  const member = queuesOf(session, useQueues());
  const tab = (label: string, extra: Filters, active: boolean, n?: string) => (
    <li>
      <a href={`/ui/work${qs({ ...rest, ...extra })}`} aria-current={active ? 'true' : undefined} class={active ? 'active' : undefined}>
        {label}
        {n !== undefined && (
          <>
            {' '}
            <span class="n" title={`${n} To Do or In Progress`}>
              {n}
              <span class="sr-only"> open</span>
            </span>
          </>
        )}
      </a>
    </li>
  );
  return (
    <nav aria-label="Whose work">
      <ul class="tabs">
        {tab('Everyone', {}, !f.assignee && !f.unassigned)}
        {tab('Mine', { assignee: 'me' }, f.assignee === 'me', openTasks(mine.data))}
        {tab('Unassigned', { unassigned: 'true' }, f.unassigned === 'true', openTasks(free.data))}
      </ul>
      <ul class="counts quick" aria-label="Quick views">
        <li>
          <a
            class={`count${f.due === 'overdue' ? ' active' : ''}`}
            href={`/ui/work${qs({ ...f, due: f.due === 'overdue' ? undefined : 'overdue', before: undefined })}`}
            aria-current={f.due === 'overdue' ? 'true' : undefined}
          >
            Overdue{' '}
            {openTasks(late.data) !== undefined && (
              <span class="n" title="To Do or In Progress, past their due time">
                {openTasks(late.data)}
              </span>
            )}
          </a>
        </li>
      </ul>
      {member.length > 0 && (
        <ul class="counts my-queues" aria-label="Your queues">
          {member.map((q) => (
            <li key={q}>
              <a
                class={`count${f.queue === q ? ' active' : ''}`}
                href={`/ui/work${qs({ ...f, queue: f.queue === q ? undefined : q, before: undefined })}`}
                aria-current={f.queue === q ? 'true' : undefined}
              >
                Queue {q}
              </a>
            </li>
          ))}
        </ul>
      )}
    </nav>
  );
}

/** Wide enough for the action card beside the list; narrower screens link to the card as before. */
const SIDE_BY_SIDE = '(min-width: 1100px)';

function useWide(): boolean {
  const [wide, setWide] = useState(() => window.matchMedia(SIDE_BY_SIDE).matches);
  useEffect(() => {
    const m = window.matchMedia(SIDE_BY_SIDE);
    const on = (): void => setWide(m.matches);
    m.addEventListener('change', on);
    return () => m.removeEventListener('change', on);
  }, []);
  return wide;
}

/** The completion deadline of an action the engine still holds to one, said "overdue" once past (in words, not colour alone). */
function Deadline({ a }: { a: ActionView }) {
  if (a.state !== 'waiting' || !a.timeoutAt) return null;
  const past = Date.parse(a.timeoutAt) <= Date.now();
  return (
    <span class={past ? 'overdue' : undefined}>
      {past && <strong>Overdue: </strong>}
      <Time iso={a.timeoutAt} />
    </span>
  );
}

/** Retry or close exactly the listed set: the filters carried into the bulk replay form (an operator's). */
function BulkControls({ f }: { f: Filters }) {
  const retry = replayHref(f, 'retry');
  const close = replayHref(f, 'close');
  const left = replayCannotUse(f);
  if (left.length > 0)
    return (
      <p class="hint" data-testid="bulk">
        A bulk replay cannot narrow by {left.map((k) => KEYS.find(([x]) => x === k)?.[1] ?? k).join(', ')}: remove{' '}
        {left.length === 1 ? 'it' : 'them'} to retry or close these actions together.
      </p>
    );
  if (!retry) return null;
  return (
    <p class="buttons" data-testid="bulk">
      <a class="button" href={retry}>
        Retry these…
      </a>
      {close && (
        <a class="button" href={close}>
          Close these…
        </a>
      )}
    </p>
  );
}

export function WorkPage({ session, query }: { session: Session; query: URLSearchParams }) {
  const f = filtersOf(query);
  const before = query.get('before') ?? undefined;
  const key = qs({ ...f, before });
  const list = useData(
    () => api<{ items: ActionView[]; next: string | null }>('GET', `/v1/actions${qs({ ...f, before, limit: String(PAGE) })}`),
    [key],
  );
  const countsKey = qs(Object.fromEntries(COUNT_KEYS.map((k) => [k, f[k]])));
  const counts = useData(() => api<Counts>('GET', `/v1/actions/counts${countsKey}`), [countsKey]);
  const [fresh, setFresh] = useState(0);
  const state = useRef({ list, counts, f, before, key, countsKey, checkedNewest: '' });
  state.current = { ...state.current, list, counts, f, before, key, countsKey };
  useEffect(() => {
    setFresh(0);
    state.current.checkedNewest = '';
  }, [key]);

  useEffect(() => {
    // A busy engine must not turn into a request per row per message: the page is read again with one
    // list call at most every LIST_EVERY_MS, and the counts (16 COUNTs) one at a time, slower under overflow.
    const due = {
      counts: false,
      list: false,
      newest: false,
      newestBusy: false,
      newestAt: 0,
      countsBusy: false,
      listBusy: false,
      countsAt: 0,
      listAt: 0,
      overflowAt: -Infinity,
    };
    const merge = (got: ActionView[]): void => {
      const byId = new Map(got.map((a) => [a.id, a]));
      const cur = state.current.list.data;
      if (!cur) return;
      for (const a of byId.values()) {
        const old = cur.items.find((x) => x.id === a.id);
        if (old && stateText(old) !== stateText(a)) announce(`${titleOf(a)} is now ${stateText(a)}`);
      }
      state.current.list.setData({ ...cur, items: cur.items.map((x) => byId.get(x.id) ?? x) });
    };
    const tick = (): void => {
      const now = Date.now();
      const s = state.current;
      const countsEvery = now - due.overflowAt < OVERFLOW_SLOW_MS ? COUNTS_EVERY_OVERFLOW_MS : COUNTS_EVERY_MS;
      if (due.counts && !due.countsBusy && now - due.countsAt >= countsEvery) {
        due.counts = false;
        due.countsBusy = true;
        due.countsAt = now;
        const k = s.countsKey;
        void api<Counts>('GET', `/v1/actions/counts${k}`)
          .then(
            (c) => k === state.current.countsKey && state.current.counts.setData(c),
            () => undefined,
          )
          .finally(() => (due.countsBusy = false));
      }
      if (due.list && !due.listBusy && now - due.listAt >= LIST_EVERY_MS) {
        due.list = false;
        due.listBusy = true;
        due.listAt = now;
        const k = s.key;
        // The same page as shown (same filters and cursor): rows are updated in place, none inserted.
        const top = s.list.data?.items[0]?.id ?? '';
        void api<{ items: ActionView[] }>('GET', `/v1/actions${qs({ ...s.f, before: s.before, limit: String(PAGE) })}`)
          .then(
            (r) => {
              if (k !== state.current.key) return;
              merge(r.items);
              // New actions the feed could not name (overflow, a stream handed over): counted, not inserted.
              const n = s.before || s.f.sort === 'due' ? 0 : r.items.filter((a) => a.id > top).length;
              if (n > 0) setFresh((x) => Math.max(x, n));
            },
            () => undefined,
          )
          .finally(() => (due.listBusy = false));
      }
      // "+N new" is about the newest: a list sorted by due time has no top where new work lands.
      if (due.newest && !due.newestBusy && now - due.newestAt >= LIST_EVERY_MS && !s.before && s.f.sort !== 'due') {
        due.newest = false;
        due.newestBusy = true;
        due.newestAt = now;
        const k = s.key;
        const top = s.list.data?.items[0]?.id ?? '';
        void api<{ items: ActionView[] }>('GET', `/v1/actions${qs({ ...s.f, limit: '100' })}`)
          .then(
            (r) => k === state.current.key && setFresh(r.items.filter((a) => a.id > top).length),
            () => undefined,
          )
          .finally(() => (due.newestBusy = false));
      }
    };
    const timer = setInterval(tick, 500);
    const off = subscribe((m) => {
      const s = state.current;
      const items = s.list.data?.items;
      if (!items) return;
      due.counts = true;
      const shown = new Set(items.map((a) => a.id));
      const changed = m.changes.filter((c) => shown.has(c.id)).map((c) => c.id);
      if (m.overflow) due.overflowAt = Date.now();
      if (m.overflow || changed.length > FEW) due.list = true;
      else if (changed.length > 0)
        void Promise.all(changed.map((id) => api<ActionView>('GET', `/v1/actions/${id}`).catch(() => undefined))).then((got) =>
          merge(got.filter((a): a is ActionView => !!a)),
        );
      // New actions: counted on the first page, never inserted under the reader's cursor.
      if (!s.before && m.newestId && m.newestId > (items[0]?.id ?? '') && m.newestId !== s.checkedNewest) {
        // Once per new newest id: a launch that the filters leave out costs one look, not one per message.
        s.checkedNewest = m.newestId;
        due.newest = true;
      }
    });
    return () => {
      clearInterval(timer);
      off();
    };
  }, []);

  const items = list.data?.items ?? [];
  const wide = useWide();
  // The action open beside the list (wide screens): in the URL, so a reload and back/forward keep it.
  const selected = wide ? (query.get('selected') ?? undefined) : undefined;
  const operator = can(session, 'operator');
  const queues = useQueues();
  const [rowError, setRowError] = useState<unknown>(null);
  const [changes, setChanges] = useState(0);
  /** A row as an action now is (the card beside the list changed it, or a row's button did). */
  const replaceRow = (a: ActionView): void => {
    setChanges((n) => n + 1);
    const cur = state.current.list.data;
    if (cur?.items.some((x) => x.id === a.id))
      state.current.list.setData({ ...cur, items: cur.items.map((x) => (x.id === a.id ? keepCaseTitle(a, x) : x)) });
  };
  // One request per row at a time: a double click on a row's button sends once (other rows go on).
  const rowsActing = useRef(new Set<string>());
  const rowAct = async (a: ActionView, verb: string, body: unknown, said: string): Promise<void> => {
    if (rowsActing.current.has(a.id)) return;
    rowsActing.current.add(a.id);
    try {
      replaceRow(await api<ActionView>('POST', `/v1/actions/${encodeURIComponent(a.id)}/${verb}`, body));
      setRowError(null);
      announce(said);
    } catch (e) {
      setRowError(e);
    } finally {
      rowsActing.current.delete(a.id);
      // The pressed button went with the row's new state (Pick up becomes Release): the focus goes to the
      // row's link rather than to the page itself, where a screen reader lost its place.
      setTimeout(() => {
        const now = document.activeElement;
        if (now === null || now === document.body)
          document.querySelector<HTMLElement>(`tr[data-id="${CSS.escape(a.id)}"] a.row-open`)?.focus();
      }, 0);
    }
  };
  const open = (e: MouseEvent, id: string): void => {
    // A plain click on a wide screen opens the card beside the list; a modified one opens a tab as usual.
    if (!wide || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    if (id === selected) return;
    navigate(`/ui/work${qs({ ...f, before, selected: id })}`);
    const a = items.find((x) => x.id === id);
    if (a) announce(`${titleOf(a)} shown beside the list`);
  };
  /**
   * Arrow keys or j and k move between the rows' links; Enter on one opens it (beside the list when
   * wide); the right arrow or l goes on into the open card (its buttons were a whole page of rows away).
   */
  const moveKeys = (e: KeyboardEvent): void => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (
      (e.key === 'ArrowRight' || e.key === 'l') &&
      paneOpen &&
      (e.target as Element).closest('tr')?.getAttribute('data-id') === selected
    ) {
      e.preventDefault();
      toCard();
      return;
    }
    const down = e.key === 'ArrowDown' || e.key === 'j';
    const up = e.key === 'ArrowUp' || e.key === 'k';
    if (!down && !up) return;
    const links = Array.from((e.currentTarget as HTMLElement).querySelectorAll<HTMLAnchorElement>('a.row-open'));
    const row = (e.target as Element).closest('tr');
    const at = links.findIndex((l) => l.closest('tr') === row);
    const next = links[at < 0 ? 0 : Math.max(0, Math.min(links.length - 1, at + (down ? 1 : -1)))];
    if (!next) return;
    e.preventDefault();
    next.focus();
  };
  const paneOpen = selected !== undefined;
  const byDue = f.sort === 'due';
  /** The focus to the open card's heading: the next Tab reaches its buttons. */
  const toCard = (): void => document.getElementById('pane-h')?.focus();
  return (
    <main id="main" class={paneOpen ? 'with-pane' : undefined}>
      <h1 tabIndex={-1}>Work</h1>
      <div class={paneOpen ? 'split' : undefined}>
        <div class="list-side">
          <Whose f={f} session={session} countsKey={Object.fromEntries(COUNT_KEYS.map((k) => [k, f[k]]))} changes={changes} />
          <FilterBar f={f} />
          <SavedViews screen="work" query={query} session={session} />
          <ConnectorChips f={f} />
          {operator && <BulkControls f={f} />}
          {/* A search that fails fails for both: its error is shown once, by the list. */}
          {counts.error ? !list.error && <ErrorBox error={counts.error} /> : counts.data && <CountChips counts={counts.data} f={f} />}
          {/* A polite live region that is always there (one added with its content is often not read), holding only
              the banner: screen readers hear "+N new" when it appears or grows, not every row refreshed in place. */}
          <div role="status" aria-live="polite" class="fresh">
            {fresh > 0 && (
              <button type="button" class="banner" onClick={() => (setFresh(0), list.reload())}>
                +{fresh >= 100 ? '100 or more' : fresh} new — show
              </button>
            )}
          </div>
          <ErrorBox error={list.error} />
          <ErrorBox error={rowError} />
          {list.data && items.length === 0 && !list.error && (
            <p class="empty">
              {byDue ? 'No actions with a due time match these filters.' : 'No actions match these filters.'}{' '}
              {byDue && <a href={`/ui/work${qs({ ...f, sort: undefined, before: undefined })}`}>Show them newest first</a>}
            </p>
          )}
          {items.length > 0 && (
            <table class="actions">
              <caption class="sr-only">
                Actions, {byDue ? 'with a due time, the earliest due first' : 'newest first'}
                {wide
                  ? '. Arrow keys or j and k move between rows; Enter shows one beside the list, the right arrow or l goes into it'
                  : ''}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Action</th>
                  <th scope="col">State</th>
                  <th scope="col">Why and when it moves</th>
                  <th scope="col">Deadline</th>
                  <th scope="col" aria-sort={byDue ? 'ascending' : undefined}>
                    <a
                      href={`/ui/work${qs({ ...f, sort: byDue ? undefined : 'due', before: undefined })}`}
                      aria-label={
                        byDue ? 'Due: sorted, earliest first; sort newest first instead' : 'Due: sort by due time, earliest first'
                      }
                    >
                      Due{byDue ? ' ↑' : ''}
                    </a>
                  </th>
                  {!paneOpen && <th scope="col">External reference</th>}
                  {!paneOpen && <th scope="col">Case</th>}
                  <th scope="col">Updated</th>
                  {operator && <th scope="col">Task</th>}
                </tr>
              </thead>
              <tbody onKeyDown={moveKeys}>
                {items.map((a) => (
                  <tr
                    key={a.id}
                    data-id={a.id}
                    class={a.id === selected ? 'selected' : undefined}
                    aria-current={a.id === selected ? 'true' : undefined}
                  >
                    <td>
                      <a class="row-open" href={`/ui/actions/${a.id}`} onClick={(e) => open(e, a.id)}>
                        {titleOf(a)}
                      </a>
                      {a.id === selected && <span class="shown-mark"> (shown beside)</span>}
                      {a.escalated && <span class="badge bad">Escalated</span>}
                    </td>
                    <td>
                      <StateBadge a={a} />
                      {a.phase && <span class="phase"> {PHASE_LABELS[a.phase] ?? a.phase}</span>}
                    </td>
                    <td class="why">{whyLine(a)}</td>
                    <td>
                      <Deadline a={a} />
                    </td>
                    <td>
                      <DueTime a={a} />
                    </td>
                    {!paneOpen && (
                      <td>
                        {a.externalReference && (
                          <a href={`/ui/work${qs({ externalReference: a.externalReference })}`}>{a.externalReference}</a>
                        )}
                      </td>
                    )}
                    {!paneOpen && (
                      <td>
                        {a.caseId && (
                          <a href={`/ui/work${qs({ caseId: a.caseId })}`} title={a.caseId}>
                            <bdi class="case-title">{a.caseTitle ?? a.caseId.slice(-8)}</bdi>
                          </a>
                        )}
                      </td>
                    )}
                    <td>
                      <Time iso={a.updatedAt} />
                    </td>
                    {operator && (
                      <td>
                        {/* The open task's buttons are the card's, beside the list: this goes there. */}
                        {a.id === selected && (
                          <button type="button" class="small" onClick={toCard} aria-label={`Go to the card of ${titleOf(a)}`}>
                            To the card
                          </button>
                        )}
                        {a.id !== selected && a.state === 'todo' && (a.assignee === null || a.assignee === session.actsAs) && (
                          <button type="button" class="small" onClick={() => void rowAct(a, 'pick-up', {}, `${titleOf(a)} picked up`)}>
                            Pick up
                          </button>
                        )}
                        {a.id !== selected && mayRelease(session, a, queues) && (
                          <button
                            type="button"
                            class="small"
                            onClick={() =>
                              void rowAct(a, 'assign', { queue: a.queue, from: 'me' }, `${titleOf(a)} given back to queue ${a.queue}`)
                            }
                          >
                            Release
                          </button>
                        )}
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <nav class="paging" aria-label="Pages">
            {before && <a href={`/ui/work${qs(f)}`}>{byDue ? 'First page' : 'Newest'}</a>}
            {list.data?.next && <a href={`/ui/work${qs({ ...f, before: list.data.next })}`}>{byDue ? 'Due later' : 'Older'}</a>}
          </nav>
        </div>
        {paneOpen && (
          <div class="pane-side">
            <p class="pane-close">
              <a href={`/ui/work${qs({ ...f, before })}`}>Close the card</a>
            </p>
            {/* One card per task (keyed): an error, or the answer of a request still on its way, was shown on the next task's card. */}
            <ActionCard key={selected} session={session} id={selected} pane changed={replaceRow} />
          </div>
        )}
      </div>
    </main>
  );
}
