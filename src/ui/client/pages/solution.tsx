// A solution handed back by an integrated queue's provider (SPEC 7): what they said, when and through
// which connector, with Accept (the task's completion) and Decline (a reason, sent to the provider as
// a Resolution Rejection; the task goes back to them). One panel for the action card and the case
// page's task panel; the buttons follow the server's rules, which stay the authority.

import { useRef, useState } from 'preact/hooks';
import { api, ApiError, RepeatKey, can, heldByOther, mayDeclineSolution, titleOf, type ActionView, type Session } from '../api.ts';
import { ErrorBox, Field, Time, announce, useData } from '../components.tsx';
import { CompleteForm } from './complete-form.tsx';
import { useFormRequest } from '../form-request.ts';

/** Who answered: the queue's connector by name, and whether the queue can send a rejection at all. */
interface Provider {
  connector: string | null;
  rejects: boolean;
}

/**
 * The task's queue's integration. Undefined when it cannot be read: the panel then names no connector
 * and offers Decline, leaving the server to say no.
 */
async function providerOf(queue: string | null): Promise<Provider | undefined> {
  if (queue === null) return undefined;
  try {
    const q = await api<{ integration: { connector: string; onResolutionRejected: string | null } | null }>(
      'GET',
      `/v1/queues/${encodeURIComponent(queue)}`,
    );
    // Moved to a queue without a provider: nobody to send a rejection to.
    if (!q.integration) return { connector: null, rejects: false };
    const id = q.integration.connector;
    const name = await api<{ name: string }>('GET', `/v1/connectors/${encodeURIComponent(id)}`).then(
      (c) => c.name,
      () => id,
    );
    return { connector: name, rejects: q.integration.onResolutionRejected !== null };
  } catch {
    return undefined;
  }
}

const RESOLUTION_WORDS = { solved: 'Solved', closed: 'Closed' } as const;

export function HandedBackSolution({
  a,
  session,
  heading: H,
  changed,
}: {
  a: ActionView;
  session: Session;
  /** The panel's heading level where it sits: h2 on the card (h3 on the card beside the work list), h4 under a task's h3. */
  heading: 'h2' | 'h3' | 'h4';
  /** After an accept or decline, with the task as the API now gives it. */
  changed: (a: ActionView) => void;
}) {
  const s = a.solution;
  const provider = useData(() => providerOf(a.queue), [a.queue]);
  const [open, setOpen] = useState<'accept' | 'decline' | null>(null);
  const [reason, setReason] = useState('');
  const { error, setError, busy, run } = useFormRequest();
  if (!s) return null;
  const p = `solution-${a.id.slice(-8)}`;
  const mayAccept = can(session, 'operator') && (a.state === 'todo' || a.state === 'in_progress') && !heldByOther(session, a);
  const mayDecline = mayDeclineSolution(session, a) && provider.data?.rejects !== false;
  const openForm = (which: 'accept' | 'decline' | null): void => {
    setError(null);
    setOpen(which);
  };
  // A Decline whose answer never came (the network, a 5xx) may have been made: pressed again, it is sent
  // with the same Idempotency-Key, so the provider gets one Resolution Rejection and the page the task as
  // it is (not a 409 "already declined"). Any answer ends the key; another reason is another decline.
  const declineKey = useRef(new RepeatKey('ui-decline'));
  const post = async (verb: string, body: unknown, said: string): Promise<void> => {
    const repeat = verb === 'decline-solution' ? declineKey.current : undefined;
    const r = await run(async () => {
      try {
        const headers: Record<string, string> = repeat ? { 'idempotency-key': repeat.for(body) } : {};
        const answer = await api<ActionView>('POST', `/v1/actions/${encodeURIComponent(a.id)}/${verb}`, body, 'application/json', headers);
        repeat?.settle();
        return answer;
      } catch (e) {
        repeat?.settle(e);
        throw e;
      }
    });
    if (!r) return;
    setOpen(null);
    setReason('');
    announce(said);
    changed(r.value);
  };
  // The API names the reason `note` when it refuses it (empty, or only spaces).
  const reasonRefused = open === 'decline' && error instanceof ApiError && error.errors.some((x) => x.field === 'note');
  return (
    <section class="solution" aria-labelledby={`${p}-h`} data-testid="solution">
      <H id={`${p}-h`}>Solution from the provider</H>
      <p class="solution-meta">
        <strong>{RESOLUTION_WORDS[s.resolution]}</strong>, handed back{' '}
        {provider.data?.connector ? (
          <>
            through <span data-testid="solution-connector">{provider.data.connector}</span>
          </>
        ) : (
          'by the provider'
        )}
        {a.queue && ` (queue ${a.queue})`} <Time iso={s.at} />
      </p>
      {/* Text, never markup; long answers wrap and scroll inside the box (keyboard too). */}
      <blockquote class="solution-text" data-testid="solution-text" tabIndex={0}>
        {s.solution}
      </blockquote>
      {(mayAccept || mayDecline) && open === null && (
        <p class="buttons">
          {mayAccept && (
            <button type="button" aria-expanded="false" onClick={() => openForm('accept')}>
              Accept solution
            </button>
          )}
          {mayDecline && (
            <button type="button" aria-expanded="false" onClick={() => openForm('decline')}>
              Decline solution
            </button>
          )}
        </p>
      )}
      {mayDeclineSolution(session, a) && provider.data?.rejects === false && (
        <p class="hint">This queue sends no resolution rejection: the solution can be accepted, or the task reassigned.</p>
      )}
      <ErrorBox error={error} />
      {open === 'accept' && mayAccept && (
        <>
          <CompleteForm
            a={a}
            id={`${p}-accept`}
            legend={`Accept the solution: complete ${titleOf(a)}`}
            done={(body) => void post('complete', body, 'Solution accepted; task completed')}
          />
          <button type="button" class="link" onClick={() => setOpen(null)}>
            Cancel
          </button>
        </>
      )}
      {open === 'decline' && mayDecline && (
        <form
          class="decline"
          onSubmit={(e) => {
            e.preventDefault();
            // Sent as typed: the API says what a reason must be, and its words are shown.
            void post('decline-solution', { note: reason }, 'Solution declined; the task is with the provider again');
          }}
        >
          <Field label="Reason (required; sent to the provider)" id={`${p}-reason`}>
            <textarea
              id={`${p}-reason`}
              rows={3}
              maxLength={10_000}
              aria-required="true"
              aria-invalid={reasonRefused ? 'true' : undefined}
              value={reason}
              onInput={(e) => setReason(e.currentTarget.value)}
            />
          </Field>
          <p class="buttons">
            <button type="submit" disabled={busy}>
              Decline solution
            </button>
            <button type="button" class="link" onClick={() => openForm(null)}>
              Cancel
            </button>
          </p>
        </form>
      )}
    </section>
  );
}
