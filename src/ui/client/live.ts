// The browser's one server-sent event stream (GET /v1/events): which actions changed and the newest
// action id. Screens subscribe and refetch only what they show.
//
// One stream per browser, not per tab: a browser opens at most 6 HTTP/1.1 connections to a host, so
// six tabs each holding a stream left a seventh unable to load anything. The tab holding the Web Lock
// opens the stream and relays its messages to the other tabs over a BroadcastChannel; when it closes,
// the next waiting tab takes over. Without Web Locks (plain http on a host other than localhost is not
// a secure context), each tab holds its own stream only while it is visible.

import { api, isSignedOut } from './api.ts';

export interface LiveMessage {
  changes: Array<{ id: string; state: string; phase: string | null; reason: string | null; resolution: string | null }>;
  overflow: boolean;
  newestId: string | null;
}

type Listener = (m: LiveMessage) => void;
/** `hello`: a tab that just joined asks the holder for what the server said once only (the store is down). */
type Relayed = { type: 'actions'; m: LiveMessage } | { type: 'store'; ok: boolean } | { type: 'hello' };

const listeners = new Set<Listener>();
/** Told when the server says its store stopped answering (false) or answers again (true). */
const storeListeners = new Set<(ok: boolean) => void>();
const LOCK = 'callout-live';
/** Messages may have been missed (a new stream, a tab shown again): every screen refetches what it shows. */
const RESYNC: LiveMessage = { changes: [], overflow: true, newestId: null };

let running: { stop: () => void } | null = null;

export function onStoreStatus(l: (ok: boolean) => void): () => void {
  storeListeners.add(l);
  return () => void storeListeners.delete(l);
}

function deliver(r: Relayed): void {
  if (r.type === 'actions') for (const x of listeners) x(r.m);
  else if (r.type === 'store') for (const x of storeListeners) x(r.ok);
}

interface Stream {
  close(): void;
}

/**
 * Opens the stream; `emit` gets each message. Each time it opens again (a reconnection, or `resyncFirst`:
 * another stream was heard until now) every screen is told to refetch, a second after: the server reports
 * launches only from its second look on, so one sooner could miss an action launched meanwhile.
 * A browser gives up on an answer other than 200 (signed out, a restart), and the server ends a feed whose
 * session ended with `signed-out`: the session is checked. A 401 signs the page out, which closes the
 * stream and frees the lock for the other tabs (a tab that kept the lock with no stream left every other
 * tab without live changes, even one signed in again); a session that is valid (signed in again in
 * another tab) or a check that failed opens the stream again.
 */
function openStream(emit: (r: Relayed) => void, resyncFirst: boolean): Stream {
  let source: EventSource;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let opened = false;
  const check = (delayMs: number): void => {
    source.close();
    void api('GET', '/ui/session').then(
      () => {
        if (!closed) timer = setTimeout(open, delayMs);
      },
      (e: unknown) => {
        if (closed) return;
        if (isSignedOut(e)) window.dispatchEvent(new Event('callout:signed-out'));
        else timer = setTimeout(open, 5000);
      },
    );
  };
  const open = (): void => {
    source = new EventSource('/v1/events');
    source.addEventListener('open', () => {
      if (opened || resyncFirst) setTimeout(() => !closed && emit({ type: 'actions', m: RESYNC }), 1000);
      opened = true;
    });
    source.addEventListener('actions', (e) => emit({ type: 'actions', m: JSON.parse((e as MessageEvent<string>).data) as LiveMessage }));
    source.addEventListener('store', (e) =>
      emit({ type: 'store', ok: (JSON.parse((e as MessageEvent<string>).data) as { ok: boolean }).ok }),
    );
    // Not reconnected as is: the session it was opened with has ended.
    source.addEventListener('signed-out', () => !closed && check(0));
    source.addEventListener('error', () => {
      if (source.readyState !== EventSource.CLOSED || closed) return;
      check(5000);
    });
  };
  open();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      source.close();
    },
  };
}

/** One stream for all tabs: the lock's holder reads it and relays it. */
function shared(): { stop: () => void } {
  const channel = new BroadcastChannel(LOCK);
  const abort = new AbortController();
  let source: Stream | null = null;
  let release: (() => void) | null = null;
  let storeOk = true;
  channel.onmessage = (e: MessageEvent<Relayed>) => {
    if (e.data.type === 'hello') {
      // The server says the store is down once per feed: a tab that joins later hears it from the holder.
      if (source && !storeOk) channel.postMessage({ type: 'store', ok: false } satisfies Relayed);
      return;
    }
    deliver(e.data);
  };
  const emit = (r: Relayed): void => {
    if (r.type === 'store') storeOk = r.ok;
    deliver(r);
    channel.postMessage(r);
  };
  channel.postMessage({ type: 'hello' } satisfies Relayed);
  navigator.locks
    .request(LOCK, { signal: abort.signal }, () => {
      if (abort.signal.aborted) return undefined;
      // What changed before it opened (while another tab handed it over, or while the screens loaded) is unknown.
      source = openStream(emit, true);
      return new Promise<void>((done) => (release = done));
    })
    .catch(() => undefined);
  return {
    stop() {
      abort.abort();
      source?.close();
      release?.();
      channel.close();
    },
  };
}

/** A stream of this tab's own, closed while the tab is hidden. */
function perTab(): { stop: () => void } {
  let source: Stream | null = null;
  let first = true;
  const sync = (): void => {
    if (document.visibilityState === 'hidden') {
      source?.close();
      source = null;
    } else if (!source) {
      // What changed while the tab was hidden was not heard.
      source = openStream(deliver, !first);
    }
    first = false;
  };
  document.addEventListener('visibilitychange', sync);
  sync();
  return {
    stop() {
      document.removeEventListener('visibilitychange', sync);
      source?.close();
      source = null;
    },
  };
}

export function subscribe(l: Listener): () => void {
  listeners.add(l);
  running ??= typeof navigator.locks?.request === 'function' && typeof BroadcastChannel === 'function' ? shared() : perTab();
  return () => {
    listeners.delete(l);
  };
}

/**
 * Calls `fn` at most every `ms` while the feed says anything changed: for screens that show a summary
 * (counts, a user's notifications) rather than rows by id, and would otherwise read on every message.
 */
export function onChangesEvery(ms: number, fn: () => void): () => void {
  let due = false;
  const off = subscribe(() => (due = true));
  const t = setInterval(() => {
    if (!due) return;
    due = false;
    fn();
  }, ms);
  return () => {
    off();
    clearInterval(t);
  };
}

export function closeLive(): void {
  running?.stop();
  running = null;
}
