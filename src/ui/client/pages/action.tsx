// The action card, error first: state in the seeds' words, the one line that says why it waits,
// the error bar ('retried N of M', the last error and when, the next retry, Retry, pause/resume),
// the input corrected and retried,
// the rejected reason, a provider's handed-back solution to accept or decline, what a person does
// next (pick up, complete), and the timeline with each attempt's request and response (secrets are
// redacted by the server).

import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  actorText,
  api,
  ApiError,
  can,
  heldByOther,
  keepCaseTitle,
  keepStepSkipped,
  RepeatKey,
  readNewestTimeline,
  readTimeline,
  TIMELINE_PAGE_SIZE,
  TIMELINE_PAGES,
  titleOf,
  type ActionView,
  type Session,
} from '../api.ts';
import { qs, useHash } from '../router.ts';
import {
  DueTime,
  ErrorBox,
  PHASE_LABELS,
  StateBadge,
  Time,
  Timed,
  ZoneNote,
  announce,
  stateText,
  useData,
  whyLine,
} from '../components.tsx';
import { DueForm } from './due-form.tsx';
import { subscribe } from '../live.ts';
import { CompleteForm } from './complete-form.tsx';
import { HandedBackSolution } from './solution.tsx';
import { InputCorrection, retryable } from './input-correction.tsx';
import { mayRelease, useQueues } from '../task-queues.ts';
import { useOneAtATime } from '../form-request.ts';

interface TimelineItem {
  seq: number;
  at: string;
  actor: string;
  kind: string;
  message: string;
  data?: Record<string, unknown>;
}

/**
 * How many times the action was retried, against its automatic retries: a person's retry counts as one
 * too, so past the policy's number it reads as times ("retried 4 of 3" read as a miscount); and a request
 * the external system refused is never retried by itself, which "0 of 3" left to be guessed.
 */
function retriedText(a: ActionView): string {
  const { count, max } = a.retry;
  const times =
    count <= max ? `retried ${count} of ${max}` : `retried ${count} ${count === 1 ? 'time' : 'times'} (automatic retries allow ${max})`;
  return a.state === 'todo' && a.reason === 'request_rejected' ? `${times} · a refused request is not retried automatically` : times;
}

function ErrorBar({ a, session, act }: { a: ActionView; session: Session; act: (verb: string) => void }) {
  if (!a.retry.lastError) return null;
  const open = a.state === 'waiting';
  return (
    <section class="errorbar" aria-label="Error bar" data-testid="error-bar">
      <p>
        <strong>Last error</strong> <Time iso={a.retry.lastErrorAt} />: <span data-testid="last-error">{a.retry.lastError}</span>
      </p>
      <p>
        <span data-testid="retried">{retriedText(a)}</span>
        {a.retry.nextRetryAt && (
          <>
            {' · next retry '}
            <Time iso={a.retry.nextRetryAt} />
          </>
        )}
        {a.retry.paused && ' · automatic retries paused'}
      </p>
      {a.stepSkipped && (
        <p data-testid="step-skipped">
          Not retried: its case's step {a.stepSkipped.step} was skipped by {a.stepSkipped.by} <Time iso={a.stepSkipped.at} />, so nothing
          waits for it.
        </p>
      )}
      {can(session, 'operator') && (retryable(a) || open) && (
        <p class="buttons">
          {retryable(a) && (
            <button type="button" onClick={() => act('retry')}>
              Retry
            </button>
          )}
          {open &&
            (a.retry.paused ? (
              <button type="button" onClick={() => act('resume')}>
                Resume retries
              </button>
            ) : (
              <button type="button" onClick={() => act('pause')}>
                Pause retries
              </button>
            ))}
        </p>
      )}
    </section>
  );
}

function Attempt({ data }: { data: Record<string, unknown> }) {
  const req = data.request as { method: string; url: string; headers: Record<string, string>; body?: string } | undefined;
  const res = data.response as { status: number; body?: string } | undefined;
  const err = data.error as { kind: string; message: string } | undefined;
  return (
    <details>
      <summary>Request and response{typeof data.durationMs === 'number' && ` (${Math.round(data.durationMs)} ms on the wire)`}</summary>
      {req && (
        <pre>
          {`${req.method} ${req.url}\n${Object.entries(req.headers)
            .map(([k, v]) => `${k}: ${v}`)
            .join('\n')}${req.body ? `\n\n${req.body}` : ''}`}
        </pre>
      )}
      {res && <pre>{`HTTP ${res.status}${res.body ? `\n\n${res.body}` : ''}`}</pre>}
      {err && <pre>{`${err.kind}: ${err.message}`}</pre>}
    </details>
  );
}

interface IntegrationLogItem {
  requestType: string;
  direction: string;
  at: string;
  payload: unknown;
  result: unknown;
  actionId: string;
}

/** The integration log, or null when there is none (404: this action, or this Callout, has no log). */
async function integrationLog(id: string): Promise<IntegrationLogItem[] | null> {
  try {
    return (await api<{ items: IntegrationLogItem[] }>('GET', `/v1/actions/${encodeURIComponent(id)}/integration-log`)).items;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

const shown = (v: unknown): string => (v === null || v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v, null, 2));

function IntegrationLog({ log, H }: { log: { data: IntegrationLogItem[] | null | undefined; error: unknown }; H: 'h2' | 'h3' }) {
  if (log.error) return <ErrorBox error={log.error} />;
  if (!log.data || log.data.length === 0) return null;
  return (
    <section aria-labelledby="integration-log-h">
      <H id="integration-log-h">Integration log</H>
      <table data-testid="integration-log">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Direction</th>
            <th scope="col">Request type</th>
            <th scope="col">Payload</th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {log.data.map((r, i) => (
            <tr key={i}>
              <td>
                <Time iso={r.at} />
              </td>
              <td>{r.direction}</td>
              <td>{r.requestType}</td>
              <td>
                <pre>{shown(r.payload)}</pre>
              </td>
              <td>
                <pre>{shown(r.result)}</pre>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function ActionPage({ session, id }: { session: Session; id: string }) {
  return <ActionCard key={id} session={session} id={id} />;
}

/**
 * What changed elsewhere to a task open here that the person must know before acting on it: taken by
 * someone else, no longer theirs, or closed. Null for anything else (their own changes are not compared).
 */
export function changedElsewhere(before: ActionView, after: ActionView, me: string): string | null {
  const open = (a: ActionView): boolean => a.state === 'todo' || a.state === 'in_progress';
  if (!open(before)) return null;
  if (after.state === 'closed') return `This task was closed elsewhere while you had it open: ${stateText(after)}.`;
  if (!open(after)) return null;
  if (after.assignee !== null && after.assignee !== me && after.assignee !== before.assignee)
    return after.state === 'in_progress'
      ? `${after.assignee} took this task and is working on it.`
      : `This task was given to ${after.assignee}.`;
  if (before.assignee === me && after.assignee === null)
    return `This task was moved to queue ${after.queue ?? '—'} by someone else: it is no longer yours.`;
  return null;
}

/**
 * The action card: the page at /ui/actions/{id}, or (`pane`) beside the work list, where its headings sit
 * a level lower under the list's h1 and each change it makes is handed to the list (`changed`) so the
 * row shows it at once.
 */
export function ActionCard({
  session,
  id,
  pane,
  changed,
}: {
  session: Session;
  id: string;
  pane?: boolean;
  changed?: (a: ActionView) => void;
}) {
  const action = useData(() => api<ActionView>('GET', `/v1/actions/${encodeURIComponent(id)}`), [id]);
  // The newest page first, so a long timeline shows its end at once; older pages on request, up to
  // TIMELINE_PAGES in all. Read again after a change: only what came after what was read (the timeline
  // only grows), or the newest page again when more than that came.
  const read = useRef<{ id: string; items: TimelineItem[]; more: boolean }>({ id, items: [], more: false });
  // What is shown: the newest TIMELINE_PAGES pages of what was read.
  const keep = (r: { items: TimelineItem[]; more: boolean }) => {
    const cap = TIMELINE_PAGES * TIMELINE_PAGE_SIZE;
    read.current = { id, ...(r.items.length > cap ? { items: r.items.slice(-cap), more: true } : r) };
    return read.current;
  };
  const timeline = useData(async () => {
    const prior = read.current.id === id && read.current.items.length > 0 ? read.current : undefined;
    if (!prior) return keep(await readNewestTimeline<TimelineItem>(id, 1));
    const after = await readTimeline<TimelineItem>(id, prior.items);
    if (after.more) return keep(await readNewestTimeline<TimelineItem>(id, 1));
    // What another read changed meanwhile (older entries shown, or a read of its own) stays: what came
    // after its newest entry is added to it.
    const now = read.current.id === id ? read.current : prior;
    const last = now.items.at(-1)?.seq ?? -1;
    return keep({ items: [...now.items, ...after.items.filter((x) => x.seq > last)], more: now.more });
  }, [id]);
  const [readingOlder, setReadingOlder] = useState(false);
  const readOlder = (): void => {
    const shown = read.current;
    const first = shown.items[0];
    if (!first || readingOlder) return;
    setReadingOlder(true);
    readNewestTimeline<TimelineItem>(id, 1, undefined, first.seq)
      .then((older) => {
        // Read again meanwhile (a change came): what came is kept beside the older entries, unless the
        // newest page was read afresh or this is another action's card, whose own entries stand.
        const now = read.current;
        if (now.id !== shown.id || now.items[0]?.seq !== first.seq) return;
        // Shown as read: reading the timeline again would only ask for what came after the newest.
        timeline.setData(keep({ items: [...older.items, ...now.items], more: older.more }));
      }, setError)
      .finally(() => setReadingOlder(false));
  };
  const log = useData(() => integrationLog(id), [id]);
  // A link to one entry (#entry-<seq>, from its "#"): marked, and scrolled to once it is shown. The
  // timeline loads after the page, so the browser's own jump to the fragment finds nothing.
  const hash = useHash();
  const jumped = useRef('');
  useEffect(() => {
    if (!/^#entry-\d+$/.test(hash) || jumped.current === hash) return;
    const el = document.getElementById(hash.slice(1));
    if (!el) return;
    jumped.current = hash;
    el.scrollIntoView({ block: 'center' });
  }, [hash, timeline.data]);
  const [error, setError] = useState<unknown>(null);
  const queues = useQueues();
  // A change someone else made to the task open here is said in the card (the buttons it no longer
  // offers go with the state): compared on each read of the same action, except while a change of the
  // person's own is under way or just read back (`own`).
  const [notice, setNotice] = useState<string | null>(null);
  const own = useRef(0);
  const seen = useRef<ActionView | undefined>(undefined);
  const onChanged = useRef(changed);
  onChanged.current = changed;
  useEffect(() => {
    const next = action.data;
    if (!next || next.id !== id) return;
    const before = seen.current;
    seen.current = next;
    if (before?.id !== id) return setNotice(null);
    // Read again unchanged (an overflow of the live feed rereads everything): nothing to say or hand on.
    if (before.updatedAt === next.updatedAt && stateText(before) === stateText(next)) return;
    onChanged.current?.(next);
    if (own.current > 0) return;
    const said = changedElsewhere(before, next, session.actsAs);
    if (said) setNotice(said);
  }, [action.data]);
  const mine = (answer: ActionView): void => {
    const next = keepStepSkipped(keepCaseTitle(answer, action.data), action.data);
    seen.current = next;
    action.setData(next);
    onChanged.current?.(next);
  };
  useEffect(
    () =>
      subscribe((m) => {
        if (m.overflow || m.changes.some((c) => c.id === id)) {
          action.reload();
          timeline.reload();
          log.reload();
        }
      }),
    [id],
  );
  const a = action.data;
  useEffect(() => {
    if (a) announce(`${titleOf(a)}: ${stateText(a)}`);
  }, [a && stateText(a)]);

  // One of the card's buttons at a time: a double click sends once (a second release would take the task
  // from the person it just went to; the server refuses that one too, with `from`).
  // The pressed button may go with the new state (Pick up becomes Release): the focus then goes to the card's heading.
  const [, once] = useOneAtATime(() => (pane ? document.getElementById('pane-h') : document.querySelector<HTMLElement>('#main h1')));
  // A Retry whose answer never came (the network, a 5xx) may have been made: pressed again, it is sent
  // with the same Idempotency-Key, so it retries the action once, not twice. Any answer ends the key.
  const retryKey = useRef(new RepeatKey('ui-retry'));
  const act = (verb: string, body?: unknown, said?: string): Promise<void> =>
    once(async () => {
      own.current++;
      const repeat = verb === 'retry' ? retryKey.current : undefined;
      try {
        const headers: Record<string, string> = repeat ? { 'idempotency-key': repeat.for(body ?? {}) } : {};
        mine(await api<ActionView>('POST', `/v1/actions/${encodeURIComponent(id)}/${verb}`, body ?? {}, 'application/json', headers));
        repeat?.settle();
        setError(null);
        setNotice(null);
        if (said) announce(said);
        timeline.reload();
      } catch (e) {
        repeat?.settle(e);
        setError(e);
      } finally {
        own.current--;
      }
    });
  const H1 = pane ? 'h2' : 'h1';
  const H2 = pane ? 'h3' : 'h2';
  // On its own page the card is the page's main; beside the list, a region of it.
  // A function, not a component: one made in each render would be mounted anew each time (a form's typing lost).
  const frame = (children: ComponentChildren, cls?: string) =>
    pane ? (
      <section class={`pane${cls ? ` ${cls}` : ''}`} aria-labelledby="pane-h" data-testid="pane">
        {children}
      </section>
    ) : (
      <main id="main" class={cls}>
        {children}
      </main>
    );
  const headingId = pane ? 'pane-h' : undefined;
  if (action.error)
    return frame(
      <>
        <H1 tabIndex={-1} id={headingId}>
          Action
        </H1>
        <ErrorBox error={action.error} />
      </>,
    );
  if (!a || a.id !== id)
    return frame(
      <>
        <H1 tabIndex={-1} id={headingId}>
          Action
        </H1>
        <p class="loading">Loading…</p>
      </>,
    );
  const operator = can(session, 'operator');
  return frame(
    <>
      <p class="crumbs">
        {/* A manual task has no action type to list by: the crumb leads to all work. */}
        <a href={`/ui/work${qs({ actionType: a.actionTypeName })}`}>{a.actionTypeName === null ? 'All work' : `All ${a.actionTypeName}`}</a>
      </p>
      <H1 tabIndex={-1} id={headingId}>
        {pane ? <a href={`/ui/actions/${a.id}`}>{titleOf(a)}</a> : titleOf(a)} <StateBadge a={a} />
        {a.escalated && <span class="badge bad">Escalated</span>}
      </H1>
      <p class="why" data-testid="why">
        {a.phase && <strong>{PHASE_LABELS[a.phase] ?? a.phase}: </strong>}
        {whyLine(a)}
      </p>
      {notice && (
        <div class="notice elsewhere" role="alert" data-testid="changed-elsewhere">
          <strong>Changed elsewhere:</strong> {notice}{' '}
          <button type="button" class="link" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </div>
      )}
      <ErrorBox error={error} />
      <ErrorBar a={a} session={session} act={(v) => void act(v)} />
      {a.rejectedReason && (
        <section class="rejected" aria-label="Rejected reason">
          <H2>Rejected reason</H2>
          <p data-testid="rejected-reason">{a.rejectedReason}</p>
        </section>
      )}
      {/* Kept while an attempt is on its way (phase sending): unmounted then, what was being typed was lost. */}
      {operator && (retryable(a) || (a.state === 'waiting' && a.phase === 'sending' && a.actionTypeName !== null)) && (
        <InputCorrection
          a={a}
          done={(next) => {
            mine(next);
            setError(null);
            timeline.reload();
          }}
        />
      )}
      {operator && (a.state === 'todo' || mayRelease(session, a, queues)) && (
        <p class="buttons">
          {a.state === 'todo' && (
            <button type="button" onClick={() => void act('pick-up', undefined, 'Task picked up')}>
              Pick up
            </button>
          )}
          {mayRelease(session, a, queues) && (
            <button type="button" onClick={() => void act('assign', { queue: a.queue, from: 'me' }, `Task given back to queue ${a.queue}`)}>
              Release to {a.queue}
            </button>
          )}
        </p>
      )}
      {operator && heldByOther(session, a) && (
        <p class="buttons">
          {a.assignee} is working on this task.{' '}
          <button type="button" onClick={() => void act('assign', { assignee: 'me' })}>
            Take over
          </button>
        </p>
      )}
      {a.solution && (
        <HandedBackSolution
          a={a}
          session={session}
          heading={H2}
          changed={(next) => {
            mine(next);
            setError(null);
            timeline.reload();
            log.reload();
          }}
        />
      )}
      {/* With a solution to decide on, completing is accepting it (above). */}
      {operator && !a.solution && (a.state === 'todo' || a.state === 'in_progress') && !heldByOther(session, a) && (
        <CompleteForm a={a} id="complete" done={(b) => void act('complete', b)} />
      )}
      {operator && (a.state === 'todo' || a.state === 'in_progress') && (
        <DueForm a={a} id={pane ? 'pane-due' : 'due'} act={(body, said) => void act('due', body, said)} />
      )}
      <dl class="facts">
        <dt>Action id</dt>
        <dd>
          <code>{a.id}</code>
        </dd>
        <dt>External reference</dt>
        <dd data-testid="external-reference">{a.externalReference ?? '—'}</dd>
        <dt>Case</dt>
        <dd>
          {a.caseId ? (
            <a href={`/ui/cases/${a.caseId}`} title={a.caseId}>
              <bdi>{a.caseTitle ?? a.caseId}</bdi>
            </a>
          ) : (
            '—'
          )}
        </dd>
        <dt>Queue / assignee</dt>
        <dd>{[a.queue, a.assignee].filter(Boolean).join(' / ') || '—'}</dd>
        <dt>Due</dt>
        <dd>{a.dueAt ? <DueTime a={a} /> : '—'}</dd>
        <dt>Attempts</dt>
        <dd>{a.attempts}</dd>
        <dt>Launched</dt>
        <dd>
          <Time iso={a.createdAt} />
        </dd>
        {a.timeoutAt && (
          <>
            <dt>Completion deadline</dt>
            <dd>
              <Time iso={a.timeoutAt} />
            </dd>
          </>
        )}
        {a.lastHeartbeatAt && (
          <>
            <dt>Last heard from</dt>
            <dd>
              <Time iso={a.lastHeartbeatAt} />
            </dd>
          </>
        )}
      </dl>
      <details>
        <summary>Input and output</summary>
        <pre>{JSON.stringify({ input: a.input, output: a.output }, null, 2)}</pre>
      </details>
      <IntegrationLog log={log} H={H2} />
      <section aria-label="Timeline">
        <H2>Timeline</H2>
        <ZoneNote />
        <ErrorBox error={timeline.error} />
        {timeline.data?.more && timeline.data.items.length >= TIMELINE_PAGES * TIMELINE_PAGE_SIZE && (
          <p class="hint" data-testid="timeline-more">
            Showing the newest {timeline.data.items.length.toLocaleString()} entries; older ones through{' '}
            <code>
              GET /v1/actions/{id}/timeline?order=newest&amp;before={timeline.data.items[0]?.seq}
            </code>
            .
          </p>
        )}
        <ol class="timeline">
          {(timeline.data?.items ?? [])
            .slice()
            .reverse()
            .map((t) => (
              <li key={t.seq} id={`entry-${t.seq}`} class={`kind-${t.kind}${hash === `#entry-${t.seq}` ? ' target' : ''}`}>
                <a class="entry-link" href={`#entry-${t.seq}`} aria-label={`Link to entry ${t.seq}`} title="Link to this entry">
                  #
                </a>{' '}
                <Time iso={t.at} />{' '}
                <span class="actor" title={t.actor}>
                  {actorText(t.actor)}
                </span>{' '}
                <strong>{t.kind.replace(/_/g, ' ')}</strong> <Timed text={t.message} />
                {t.kind === 'attempt' && t.data && <Attempt data={t.data} />}
              </li>
            ))}
        </ol>
        {timeline.data?.more && timeline.data.items.length < TIMELINE_PAGES * TIMELINE_PAGE_SIZE && (
          <p class="buttons">
            <button type="button" data-testid="timeline-older" disabled={readingOlder} onClick={readOlder}>
              {readingOlder ? 'Reading older entries…' : `Show ${TIMELINE_PAGE_SIZE.toLocaleString()} older entries`}
            </button>
          </p>
        )}
      </section>
    </>,
    'card',
  );
}
