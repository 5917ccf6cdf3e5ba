// What the work list and the action card need to know of queues: which ones the person is a member of
// (their quick filters) and which are integrated with a provider (a task there is not released by
// hand: assigning it to its queue again would submit it to the provider again, SPEC 7). One read per
// minute at most for the whole page, shared by both.

import { readWholeList, type Session } from './api.ts';
import { useEffect, useState } from 'preact/hooks';

export interface QueueFacts {
  name: string;
  members: string[];
  integration: unknown;
}

const FRESH_MS = 60_000;
let cached: { at: number; read: Promise<QueueFacts[]> } | undefined;

function readQueues(): Promise<QueueFacts[]> {
  if (!cached || Date.now() - cached.at > FRESH_MS) {
    const read = readWholeList<QueueFacts>('/v1/queues').then((r) => r.items);
    cached = { at: Date.now(), read };
    // A failed read is tried again by the next screen that asks.
    read.catch(() => cached?.read === read && (cached = undefined));
  }
  return cached.read;
}

/** The queues, or undefined while read (or when the read failed: then no queue is offered a release). */
export function useQueues(): QueueFacts[] | undefined {
  const [queues, setQueues] = useState<QueueFacts[] | undefined>(undefined);
  useEffect(() => {
    let live = true;
    readQueues().then(
      (q) => live && setQueues(q),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return queues;
}

/** Whether the person may give `a` back to its queue from here: theirs, open, on a queue known not to be integrated. */
export function mayRelease(
  s: Session,
  a: { state: string; assignee: string | null; queue: string | null },
  queues: QueueFacts[] | undefined,
): boolean {
  if (a.queue === null || a.assignee !== s.actsAs || (a.state !== 'todo' && a.state !== 'in_progress')) return false;
  const q = queues?.find((x) => x.name === a.queue);
  return q !== undefined && !q.integration;
}

/** The queues `s` is a member of, by name. */
export const queuesOf = (s: Session, queues: QueueFacts[] | undefined): string[] =>
  (queues ?? []).filter((q) => q.members.includes(s.actsAs)).map((q) => q.name);
