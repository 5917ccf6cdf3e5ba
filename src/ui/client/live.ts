// The page's one server-sent event stream (GET /v1/events): which actions changed and the newest
// action id. Screens subscribe and refetch only what they show.

export interface LiveMessage {
  changes: Array<{ id: string; state: string; phase: string | null; reason: string | null; resolution: string | null }>;
  overflow: boolean;
  newestId: string | null;
}

type Listener = (m: LiveMessage) => void;
const listeners = new Set<Listener>();
let source: EventSource | null = null;
/** Told when the server says its store stopped answering (false) or answers again (true). */
const storeListeners = new Set<(ok: boolean) => void>();

export function onStoreStatus(l: (ok: boolean) => void): () => void {
  storeListeners.add(l);
  return () => void storeListeners.delete(l);
}

export function subscribe(l: Listener): () => void {
  listeners.add(l);
  if (!source) {
    source = new EventSource('/v1/events');
    source.addEventListener('actions', (e) => {
      const m = JSON.parse((e as MessageEvent<string>).data) as LiveMessage;
      for (const x of listeners) x(m);
    });
    source.addEventListener('store', (e) => {
      const { ok } = JSON.parse((e as MessageEvent<string>).data) as { ok: boolean };
      for (const x of storeListeners) x(ok);
    });
  }
  return () => {
    listeners.delete(l);
  };
}

export function closeLive(): void {
  source?.close();
  source = null;
}
