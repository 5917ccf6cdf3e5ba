// The case page: its data, the process's steps with their statuses and outcomes, its actions with
// escalations highlighted ('Closed - Not Done Successfully'), the open tasks to work on, its history
// (case-history.tsx), the notes.
// Live: a change to one of its actions (server-sent events) refetches the case and that action's
// notes; the case worker moves steps just after an action closes, so while the case is open the case
// alone is also read every 3 s.

import { useEffect, useRef, useState } from 'preact/hooks';
import { actorText, api, readNewestTimeline, titleOf, type ActionView, type Session } from '../api.ts';
import { ErrorBox, ReadFailed, StateBadge, Time, Timed, announce, useData, whyLine } from '../components.tsx';
import { subscribe } from '../live.ts';
import { TaskPanel } from './task.tsx';
import { AddTaskForm, CaseQueueForm, StepRetryButton, StepSkipButton } from './case-work.tsx';
import { CaseHistory } from './case-history.tsx';

export interface CaseStep {
  name: string;
  kind: string;
  status: string;
  actionId: string | null;
  outcome: string | null;
  /** Why it failed; null otherwise. */
  error?: string | null;
  /** Operators' retries of the step (POST /v1/cases/{id}/steps/{name}/retry); absent when never retried. */
  retried?: { count: number; at: string; by: string };
  /** An operator's skip of the failed step (POST /v1/cases/{id}/steps/{name}/skip); absent otherwise. */
  skipped?: { at: string; by: string; note: string | null };
}

export interface CaseView {
  id: string;
  process: string | null;
  title: string | null;
  status: 'open' | 'closed';
  data: Record<string, unknown>;
  owner: string | null;
  queue: string | null;
  escalated: boolean;
  steps: CaseStep[];
  /** The failed step the open case stopped at (onFailure stop); null when it is not stopped. */
  stoppedAt: { step: string; error: string | null; at: string } | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  actions: ActionView[];
}

interface Note {
  at: string;
  actor: string;
  message: string;
  action: ActionView;
}

/** Notes are the messages on the timelines of the case's actions (the newest 30 actions). */
const NOTES_OF = 30;

/** An action's notes: its newest 1,000 messages (one page of the route, of that kind only). */
async function notesOf(action: ActionView): Promise<Note[]> {
  const t = await readNewestTimeline<{ seq: number; at: string; actor: string; kind: string; message: string }>(action.id, 1, 'message');
  return t.items.map((x) => ({ at: x.at, actor: x.actor, message: x.message, action }));
}

const STEP_LABELS: Record<string, string> = {
  pending: 'Pending',
  running: 'Running',
  waiting_for_person: 'Waiting for a person',
  done: 'Done',
  failed: 'Failed',
  skipped: 'Skipped',
};

/** A step's outcome in words; the API's code (SPEC 10.1) stays in the title. */
const OUTCOME_LABELS: Record<string, string> = {
  ACTION_HANDLED_SUCCESSFUL: 'Handled successfully',
  ACTION_HANDLED_FAILED: 'Handled, failed',
  QUEUE_ACTION_SUCCESSFUL: 'Queued (not waited for)',
};

/**
 * Whether the open case stopped at its failed step `i` with no action to retry (a failed expression or
 * condition, or a manual step's task closed Not Done): every later step is still pending. Only such a
 * step is retried by POST /v1/cases/{id}/steps/{name}/retry; an external step's action is retried on its card.
 */
function stoppedAt(k: CaseView, i: number): boolean {
  const s = k.steps[i]!;
  return stoppedAtFailed(k, i) && (s.actionId === null || s.kind === 'manual');
}

/**
 * Whether the open case stopped at its failed step `i`, whatever it failed with: every later step is
 * still pending (a `continue` step's case went on). Such a step may be skipped (POST .../skip).
 */
function stoppedAtFailed(k: CaseView, i: number): boolean {
  return k.status === 'open' && k.steps[i]!.status === 'failed' && k.steps.slice(i + 1).every((x) => x.status === 'pending');
}

/**
 * Where the case stopped, above its steps: the step, since when and why. Its Retry and Skip are on the
 * step's row, just below (marked); its owner was told.
 */
function StoppedBanner({ stop }: { stop: NonNullable<CaseView['stoppedAt']> }) {
  return (
    <div class="error case-stopped" data-testid="case-stopped">
      <strong>Stopped</strong> at step <bdi>{stop.step}</bdi> <Time iso={stop.at} />
      {stop.error !== null && (
        <>
          : <bdi>{stop.error}</bdi>
        </>
      )}
      . Nothing moves the case on until the step is retried or skipped (on its row below), or its action is fixed.
    </div>
  );
}

export function CasePage({ id, session }: { id: string; session: Session }) {
  const c = useData(() => api<CaseView>('GET', `/v1/cases/${encodeURIComponent(id)}`), [id]);
  // Notes per action id, read when first shown and again only when the feed says that action changed:
  // reading every timeline with every reload of the case cost up to 30 requests each 3 s.
  // `failed`: the actions whose notes could not be read, with the error: shown as an error, never as "No notes yet".
  const [notes, setNotes] = useState<{ id: string; of: Map<string, Note[]>; failed: Map<string, unknown> }>({
    id,
    of: new Map(),
    failed: new Map(),
  });
  const stale = useRef(new Set<string>());
  const reading = useRef(new Set<string>());
  const seenAt = useRef(new Map<string, string>());
  const current = useRef(id);
  current.current = id;
  const prev = useRef<string | null>(null);
  const k = c.data;
  const open = k?.status !== 'closed';
  useEffect(() => {
    if (!k) return;
    const cur = notes.id === id ? notes.of : new Map<string, Note[]>();
    const failed = notes.id === id ? notes.failed : new Map<string, unknown>();
    const read = k.actions.slice(0, NOTES_OF).filter((a) => {
      // A note changes its action's updatedAt: also caught when the feed overflowed or the task panel added it.
      if (seenAt.current.get(a.id) !== a.updatedAt) stale.current.add(a.id);
      // A failed read is tried again with the next read of the case.
      return (!cur.has(a.id) || stale.current.has(a.id) || failed.has(a.id)) && !reading.current.has(a.id);
    });
    for (const a of read) {
      stale.current.delete(a.id);
      reading.current.add(a.id);
      seenAt.current.set(a.id, a.updatedAt);
    }
    if (read.length === 0) return;
    void Promise.all(
      read.map((a) =>
        notesOf(a).then(
          (n) => ({ aid: a.id, n, error: null as unknown }),
          (error: unknown) => ({ aid: a.id, n: undefined, error }),
        ),
      ),
    ).then((got) => {
      for (const { aid } of got) reading.current.delete(aid);
      if (current.current !== id) return;
      setNotes((s) => {
        const of = new Map(s.id === id ? s.of : []);
        const failed = new Map(s.id === id ? s.failed : []);
        for (const { aid, n, error } of got) {
          // A failed read keeps the notes read before, if any, and says that it failed.
          if (n) of.set(aid, n);
          if (error) failed.set(aid, error);
          else failed.delete(aid);
        }
        return { id, of, failed };
      });
    });
  }, [id, k]);
  useEffect(
    () =>
      subscribe((m) => {
        const shown = new Set(k?.actions.map((a) => a.id) ?? []);
        const changed = m.changes.filter((x) => shown.has(x.id));
        for (const x of changed) stale.current.add(x.id);
        if (m.overflow || changed.length > 0) c.reload();
      }),
    [id, k],
  );
  useEffect(() => {
    // The case alone (cheap): the case worker moves steps after an action closes, which the feed does not carry.
    if (!open) return;
    const t = setInterval(() => c.reload(), 3000);
    return () => clearInterval(t);
  }, [id, open]);
  // Say step changes out loud: "step approve: done".
  const sig = k ? k.steps.map((s) => `${s.name}:${s.status}`).join(',') + `|${k.status}` : null;
  useEffect(() => {
    if (prev.current && sig && prev.current !== sig) announce(`Case updated: ${sig.replace(/[:,|]/g, ' ')}`);
    prev.current = sig;
  }, [sig]);

  // A task that closes leaves the page, its panel with it: a focus that was in it (the Complete pressed)
  // is on the page itself then, and goes to the page's heading rather than back to the top unheard.
  const openTasks = (k?.actions ?? [])
    .filter((a) => a.state === 'todo' || a.state === 'in_progress')
    .map((a) => a.id)
    .join(',');
  const shownTasks = useRef<string | null>(null);
  useEffect(() => {
    const before = shownTasks.current;
    shownTasks.current = openTasks;
    if (before === null || before === openTasks) return;
    if (document.activeElement === null || document.activeElement === document.body)
      document.querySelector<HTMLElement>('#main h1')?.focus({ preventScroll: true });
  }, [openTasks]);

  const head = (
    <h1 tabIndex={-1}>
      <bdi>{k?.title ?? 'Case'}</bdi> {k && <span class="muted">{k.id.slice(-8)}</span>}
    </h1>
  );
  if (c.error && !k)
    return (
      <main id="main">
        {head}
        <ErrorBox error={c.error} />
      </main>
    );
  if (!k)
    return (
      <main id="main">
        {head}
        <p class="loading">Loading…</p>
      </main>
    );
  const shownNotes = [...(notes.id === id ? notes.of.values() : [])].flat().sort((a, b) => (a.at < b.at ? 1 : -1));
  const notesFailed = notes.id === id ? [...notes.failed.values()] : [];
  const escalated = k.actions.filter((a) => a.escalated);
  const tasks = k.actions.filter((a) => a.state === 'todo' || a.state === 'in_progress');
  return (
    <main id="main">
      {head}
      <ErrorBox error={c.error} />
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <span class={`badge case-${k.status}`} data-testid="case-status">
            {k.status === 'open' ? 'Open' : 'Closed'}
          </span>
        </dd>
        <dt>Process</dt>
        <dd>{k.process ?? '—'}</dd>
        <dt>Case id</dt>
        <dd>
          <code>{k.id}</code>
        </dd>
        <dt>Owner</dt>
        <dd>{k.owner ?? '—'}</dd>
        <dt>Queue</dt>
        <dd data-testid="case-queue">{k.queue ?? '—'}</dd>
        <dt>Updated</dt>
        <dd>
          <Time iso={k.updatedAt} />
        </dd>
        {k.closedAt && (
          <>
            <dt>Closed</dt>
            <dd>
              <Time iso={k.closedAt} />
            </dd>
          </>
        )}
      </dl>
      {open && <CaseQueueForm caseId={k.id} queue={k.queue} session={session} onChange={c.reload} />}
      {escalated.length > 0 && (
        <p class="error" role="status">
          Escalated:{' '}
          {escalated.map((a, i) => (
            <span key={a.id}>
              {i > 0 && ', '}
              <bdi>{titleOf(a)}</bdi>
            </span>
          ))}{' '}
          — Closed - Not Done Successfully.
        </p>
      )}
      {k.steps.length > 0 && (
        <>
          <h2>Steps</h2>
          {k.stoppedAt && <StoppedBanner stop={k.stoppedAt} />}
          <table class="steps">
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {k.steps.map((s, i) => (
                <tr key={s.name} data-step={s.name} class={k.stoppedAt?.step === s.name ? 'stopped' : undefined}>
                  <td>{s.actionId ? <a href={`/ui/actions/${s.actionId}`}>{s.name}</a> : s.name}</td>
                  <td>{s.kind}</td>
                  <td>
                    <span class={`badge step-${s.status}`} data-testid="step-status">
                      {STEP_LABELS[s.status] ?? s.status}
                    </span>
                    {s.error && (
                      <div class="hint" data-testid="step-error">
                        <bdi>{s.error}</bdi>
                      </div>
                    )}
                    {s.retried && (
                      <div class="hint" data-testid="step-retried">
                        Retried {s.retried.count === 1 ? 'once' : `${s.retried.count} times`}, last by <bdi>{s.retried.by}</bdi>{' '}
                        <Time iso={s.retried.at} exact />
                      </div>
                    )}
                    {s.skipped && (
                      <div class="hint" data-testid="step-skipped">
                        Skipped by <bdi>{s.skipped.by}</bdi> <Time iso={s.skipped.at} exact />
                        {s.skipped.note !== null && (
                          <>
                            : <bdi>{s.skipped.note}</bdi>
                          </>
                        )}
                      </div>
                    )}
                    {stoppedAt(k, i) && <StepRetryButton caseId={k.id} step={s.name} session={session} onChange={c.reload} />}
                    {stoppedAtFailed(k, i) && <StepSkipButton caseId={k.id} step={s.name} session={session} onChange={c.reload} />}
                  </td>
                  <td data-testid="step-outcome">
                    {s.outcome ? <abbr title={s.outcome}>{OUTCOME_LABELS[s.outcome] ?? s.outcome}</abbr> : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {tasks.length > 0 && (
        <>
          <h2>Tasks</h2>
          {tasks.map((a) => (
            <TaskPanel key={a.id} a={a} session={session} onChange={c.reload} />
          ))}
        </>
      )}
      {open && <AddTaskForm caseId={k.id} queue={k.queue} session={session} onChange={c.reload} />}
      <h2>Data</h2>
      <pre>{JSON.stringify(k.data, null, 2)}</pre>
      <CaseHistory caseId={k.id} changed={k.updatedAt} />
      <h2>Actions</h2>
      {k.actions.length === 0 ? (
        <p class="empty">No actions on this case yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Action</th>
              <th scope="col">State</th>
              <th scope="col">Why and when it moves</th>
            </tr>
          </thead>
          <tbody>
            {k.actions.map((a) => (
              <tr key={a.id} class={a.escalated ? 'escalated' : undefined}>
                <td>
                  <a href={`/ui/actions/${a.id}`}>{titleOf(a)}</a>
                  {a.escalated && <span class="badge bad">Escalated</span>}
                </td>
                <td>
                  <StateBadge a={a} />
                </td>
                <td class="why">{whyLine(a)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Notes</h2>
      {notesFailed.length > 0 && (
        <ReadFailed
          what="Notes"
          about={` for ${notesFailed.length === 1 ? 'one action' : `${notesFailed.length} actions`}`}
          error={notesFailed[0]}
          testId="notes-failed"
        >
          What is shown may be incomplete; they are read again as the case changes, and at once when the page is reloaded.
        </ReadFailed>
      )}
      {notesFailed.length > 0 && shownNotes.length === 0 ? null : shownNotes.length === 0 ? (
        <p class="empty">No notes yet.</p>
      ) : (
        <ul class="timeline notes">
          {shownNotes.map((n, i) => (
            <li key={i}>
              <Time iso={n.at} /> <strong>{actorText(n.actor)}</strong> on <bdi>{titleOf(n.action)}</bdi>:{' '}
              <bdi>
                <Timed text={n.message} />
              </bdi>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
