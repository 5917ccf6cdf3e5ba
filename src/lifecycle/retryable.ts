// Which actions a person may retry: the lifecycle's rule (transition.ts, retry_requested), here on its
// own so the UI offers Retry by the same rule without carrying the whole lifecycle.

export interface RetryableShape {
  state: string;
  phase: string | null;
  reason: string | null;
  resolution: string | null;
}

/** Waiting for its send (not in flight), To Do for any reason but a manual step's, or Closed Not Done. */
export function takesManualRetry(a: RetryableShape): boolean {
  if (a.state === 'waiting') return a.phase === 'queued' || a.phase === 'retry_scheduled' || a.phase === 'throttled';
  if (a.state === 'todo') return a.reason !== 'manual';
  return a.state === 'closed' && a.resolution === 'not_done_successfully';
}
