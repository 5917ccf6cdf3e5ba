// Messages between the event loop and the SQLite thread (thread.ts, thread-worker.ts).

export interface Request {
  id: number;
  /** A SqliteStore method, or `$close`. */
  op: string;
  /** The arguments, or (hot operations) their JSON text. */
  args?: unknown[];
  json?: string;
}

/** An error as it crosses the thread: its class name, message and own fields (e.g. `code`, `status`). */
export interface ThreadError {
  name: string;
  message: string;
  stack?: string;
  props: Record<string, unknown>;
}

export type Reply = { id: number; value: unknown } | { id: number; json: string | undefined } | { id: number; error: ThreadError };

/** Sent by the thread, unasked, when its log sync fails: the store stays stopped under later threads too. */
export interface SyncFailed {
  syncFailed: string;
}

/** What a thread is started with. */
export interface ThreadData {
  file: string;
  synchronous: 'full' | 'normal';
  backgroundCheckpoints: boolean;
  notificationsPerUser: number | undefined;
  /** An earlier thread's failed sync (its message): this one starts stopped. */
  syncFailure: string | null;
}
