// Calls to Callout's API from the page: same origin, the session cookie, the CSRF header on
// changes, and problem+json answers turned into errors that say what went wrong.

export interface FieldError {
  field: string;
  message: string;
}

/** An Idempotency-Key from getRandomValues: randomUUID needs a secure context, and Callout may be served over plain HTTP. */
export function newIdempotencyKey(prefix: string): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return `${prefix}-${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;
}

/** How long a key is kept for a press again after no answer came. */
const REPEAT_KEPT_MS = 60_000;

/**
 * The Idempotency-Key of a command a person may press again after its answer was lost (the network, a
 * 5xx: it may have been made): the same key for the same body until an answer comes, so the repeat is
 * answered as the first and not made twice; a new one after any answer, or for another body.
 */
export class RepeatKey {
  private held: { key: string; body: string; at: number } | null = null;
  constructor(private readonly prefix: string) {}
  for(body: unknown): string {
    const text = JSON.stringify(body ?? null);
    // A press minutes later is a new decision (the person has seen what happened since), not a repeat.
    if (this.held?.body !== text || Date.now() - this.held.at > REPEAT_KEPT_MS)
      this.held = { key: newIdempotencyKey(this.prefix), body: text, at: Date.now() };
    return this.held.key;
  }
  /** The body the held key was sent with (JSON), while it is held: a form pressed again resends it as it was. */
  heldBody(): string | undefined {
    return this.held && Date.now() - this.held.at <= REPEAT_KEPT_MS ? this.held.body : undefined;
  }
  /** After the request: kept only when no answer came, or the answer was a server error. */
  settle(err?: unknown): void {
    if (!(err instanceof ApiError && (err.status === 0 || err.status >= 500))) this.held = null;
  }
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldError[] = [],
  ) {
    super(detail || title);
  }
}

/**
 * A 401 that means the page is signed out: not the server's refusal of two session cookies (one planted
 * by another page of the host), which signing in again cannot clear.
 */
export const isSignedOut = (e: unknown): boolean => e instanceof ApiError && e.status === 401 && !e.detail.includes('More than one');

let csrf = '';
export function setCsrf(token: string): void {
  csrf = token;
}

export async function api<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
  extra: Record<string, string> = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...extra };
  if (method !== 'GET') headers['x-callout-csrf'] = csrf;
  if (body !== undefined) headers['content-type'] = contentType;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'Callout is not reachable', `The request did not reach Callout: ${(e as Error).message}`);
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: keep the text */
  }
  if (!res.ok) {
    const p = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Partial<{
      title: string;
      detail: string;
      errors: FieldError[];
    }>;
    if (res.status === 401 && !path.startsWith('/ui/session')) window.dispatchEvent(new Event('callout:signed-out'));
    // The API's words are for scripts (If-Match, revisions); a person is told what happened and what to do.
    if (res.status === 412)
      throw new ApiError(
        412,
        'Changed by someone else',
        'Someone else saved this since you opened it. Reload the page to see their change, then make yours again.',
      );
    throw new ApiError(res.status, p.title ?? res.statusText, p.detail ?? String(text).slice(0, 300), p.errors ?? []);
  }
  return parsed as T;
}

/**
 * A builder's change to what they opened at `revision`: refused (412) if someone saved it since, so a
 * form open for an hour cannot silently undo a colleague's change.
 */
export async function patchAt<T>(path: string, body: unknown, revision: number): Promise<T> {
  return patchIf<T>(path, body, `"${revision}"`);
}

/** The same for a resource tagged by its settings (webhooks, schedules): `etag` as its view gave it, quotes included. */
export async function patchIf<T>(path: string, body: unknown, etag: string): Promise<T> {
  return api<T>('PATCH', path, body, 'application/json', { 'if-match': etag });
}

/**
 * Every item of a paged list (`{ items, next }`, `next` passed as `before`), in pages of the largest
 * size (`limit=500`): a picker that offers the processes must offer the ones past the first page. Stops
 * when `next` does not move on, so a bad answer cannot loop.
 */
export async function readAllPages<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  const sep = path.includes('?') ? '&' : '?';
  let before: string | null = null;
  for (;;) {
    const page: { items: T[]; next: string | null } = await api(
      'GET',
      `${path}${sep}limit=500${before ? `&before=${encodeURIComponent(before)}` : ''}`,
    );
    items.push(...page.items);
    if (page.next === null || page.next === before || page.items.length === 0) return items;
    before = page.next;
  }
}

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The processes by name, every page of them: for pickers (a new case, a schedule's launch). Their names
 * alone: pages of GET /v1/processes carry every definition (up to 4 MB a page).
 */
export async function readProcessNames(): Promise<Array<{ id: string; name: string }>> {
  const all = await readAllPages<{ id: string; name: string }>('/v1/process-names');
  return all.map(({ id, name }) => ({ id, name })).sort(byName);
}

/**
 * Every page of a named list (connectors, action types, queues), by name, as the whole `{ items }` it
 * answered before it paged: a picker or a lookup by name must see the ones past the first page.
 */
export async function readWholeList<T extends { name: string }>(path: string): Promise<{ items: T[] }> {
  return { items: (await readAllPages<T>(path)).sort(byName) };
}

/** Timeline pages read in one go, of the route's page (its largest and default). */
export const TIMELINE_PAGES = 10;
export const TIMELINE_PAGE_SIZE = 1000;

/**
 * An action's newest entries, up to `maxPages` pages (of one kind, when given; before entry `olderThan`,
 * when given), in the timeline's order: a timeline longer than that shows its latest state, not its first
 * days. `more`: older ones left unread.
 */
export async function readNewestTimeline<T extends { seq: number }>(
  id: string,
  maxPages = TIMELINE_PAGES,
  kind?: string,
  olderThan?: number,
): Promise<{ items: T[]; more: boolean }> {
  const items: T[] = [];
  let before: string | null = olderThan === undefined ? null : String(olderThan);
  for (let i = 0; i < maxPages; i++) {
    const q = new URLSearchParams({ order: 'newest' });
    if (kind !== undefined) q.set('kind', kind);
    if (before !== null) q.set('before', before);
    const r = await api<{ items: T[]; next: string | null }>('GET', `/v1/actions/${encodeURIComponent(id)}/timeline?${q}`);
    items.push(...r.items);
    before = r.next;
    if (before === null) break;
  }
  return { items: items.reverse(), more: before !== null };
}

/**
 * An action's timeline, following `next`: the route pages oldest first, so the first page alone left
 * out the newest entries (the closing state change, the last note). Given what was read before, reads
 * only what came after it. `more`: stopped after `maxPages` pages with entries still unread.
 */
export async function readTimeline<T extends { seq: number }>(
  id: string,
  from: T[] = [],
  maxPages = TIMELINE_PAGES,
): Promise<{ items: T[]; more: boolean }> {
  let items = from;
  let after = from.at(-1)?.seq;
  for (let i = 0; i < maxPages; i++) {
    const r = await api<{ items: T[]; next: string | null }>(
      'GET',
      `/v1/actions/${encodeURIComponent(id)}/timeline${after !== undefined ? `?after=${after}` : ''}`,
    );
    items = items.concat(r.items);
    if (!r.next) return { items, more: false };
    after = Number(r.next);
  }
  return { items, more: true };
}

export interface Session {
  name: string;
  /** The user the key acts as, and what the page calls the person signed in. */
  user?: string;
  displayName: string;
  /** The name this key's work is done in: a task In Progress with anyone else is theirs. */
  actsAs: string;
  roles: string[];
  csrf: string;
  expiresAt: string;
}

/** A task In Progress with another person: only an admin completes it as it is; others take it over first. */
export function heldByOther(s: Session, a: { state: string; assignee: string | null }): boolean {
  return a.state === 'in_progress' && a.assignee !== null && a.assignee !== s.actsAs && !s.roles.includes('admin');
}

/**
 * Whether the person may decline a handed-back solution, as the integrated-queue rules decide: an
 * operator, on a task To Do or In Progress with them. Stricter than completing: an admin too takes
 * over another's task first (the server refuses them otherwise).
 */
export function mayDeclineSolution(s: Session, a: Pick<ActionView, 'state' | 'assignee' | 'solution'>): boolean {
  if (!a.solution || !can(s, 'operator')) return false;
  if (a.state === 'todo') return true;
  return a.state === 'in_progress' && (a.assignee === null || a.assignee === s.actsAs);
}

/** What a role may do; the server decides, the page only leaves out what would be refused. */
export function can(s: Session, role: 'builder' | 'operator' | 'admin' | 'launch'): boolean {
  if (s.roles.includes('admin')) return true;
  if (role === 'launch') return ['operator', 'builder', 'integration'].some((r) => s.roles.includes(r));
  return s.roles.includes(role);
}

export interface ActionView {
  id: string;
  actionType: string;
  /** Null for a manual step's task (an action with no action type). */
  actionTypeName: string | null;
  caseId: string | null;
  /** The case's title (null: none), in the list's and the read's answers only; an operator command's answer leaves it out. */
  caseTitle?: string | null;
  state: string;
  reason: string | null;
  resolution: string | null;
  phase: string | null;
  labels: { state: string; reason: string | null; resolution: string | null };
  retry: { count: number; max: number; lastError: string | null; lastErrorAt: string | null; nextRetryAt: string | null; paused: boolean };
  attempts: number;
  throttledUntil: string | null;
  /** While queued: when it goes out (a launch's startAt; a time past: at once). */
  startAt: string | null;
  heldBy?: { reason: string; detail: string };
  rejectedReason: string | null;
  externalReference: string | null;
  input: Record<string, unknown>;
  output: unknown;
  escalated: boolean;
  queue: string | null;
  assignee: string | null;
  timeoutAt: string | null;
  lastHeartbeatAt: string | null;
  /** When a person's work on it is due (a task's due time); null when none. */
  dueAt: string | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  /** A task its integrated queue's provider handed back: their answer, until accepted or declined. */
  solution?: { resolution: 'solved' | 'closed'; solution: string; at: string };
  /** In the read of an action that would take a retry: its case's step, which an operator skipped (so it is not retried). */
  stepSkipped?: { step: string; by: string; at: string };
}

/**
 * `next` (a command's answer) with the case title of `prev`, the same action as shown, when the answer
 * has none: an action's case never changes, and the title should not turn into the id after a press.
 */
export const keepCaseTitle = (next: ActionView, prev: ActionView | undefined): ActionView =>
  next.caseTitle === undefined && prev?.id === next.id && prev.caseTitle !== undefined ? { ...next, caseTitle: prev.caseTitle } : next;

/** `next` with the skipped step `prev` (the same action as read) showed: a skip is never undone, and a command's answer leaves it out. */
export const keepStepSkipped = (next: ActionView, prev: ActionView | undefined): ActionView =>
  next.stepSkipped === undefined && prev?.id === next.id && prev.stepSkipped !== undefined
    ? { ...next, stepSkipped: prev.stepSkipped }
    : next;

/**
 * Who did something, as a timeline names them in words: a person by name (the API's `user:alice`),
 * Callout itself for `system`, the external system for `integration`.
 */
export const actorText = (actor: string): string =>
  actor === 'system' ? 'Callout' : actor === 'integration' ? 'the external system' : actor.replace(/^user:/, '');

/** What a person calls the action: its action type, or a manual step's task by the step's title ("Manual task" without one). */
export const titleOf = (a: { actionTypeName: string | null; input?: unknown }): string => {
  if (a.actionTypeName !== null) return a.actionTypeName;
  const title = (a.input as { title?: unknown } | null | undefined)?.title;
  return typeof title === 'string' && title.trim() !== '' ? title : 'Manual task';
};
