// The case page's own controls for where its work goes: the case's queue (change or clear it),
// 'Add task', a task added to the case by hand (POST /v1/cases/{id}/tasks) on a queue that defaults to
// the case's, optionally straight to a member of it, and Retry and Skip of a failed step the case stopped at.

import { useRef, useState } from 'preact/hooks';
import { ApiError, RepeatKey, api, can, type Session } from '../api.ts';
import { ErrorBox, announce } from '../components.tsx';
import { useFormRequest } from '../form-request.ts';

interface Props {
  caseId: string;
  queue: string | null;
  session: Session;
  onChange: () => void;
}

/** Runs one request of a form (useFormRequest); once it is made, says so and has the page read the case again. */
function useSubmit(onChange: () => void) {
  const { error, busy, run: send } = useFormRequest();
  const run = async (request: () => Promise<unknown>, said: string): Promise<boolean> => {
    if (!(await send(request))) return false;
    announce(said);
    onChange();
    return true;
  };
  return { error, busy, run };
}

export function CaseQueueForm({ caseId, queue, session, onChange }: Props) {
  const [value, setValue] = useState('');
  const { error, busy, run } = useSubmit(onChange);
  if (!can(session, 'operator')) return null;
  const path = `/v1/cases/${encodeURIComponent(caseId)}`;
  return (
    <>
      <ErrorBox error={error} />
      <form
        class="inline case-queue"
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => api('PATCH', path, { queue: value.trim() }), `Case queue set to ${value.trim()}`).then((ok) => ok && setValue(''));
        }}
      >
        <label for="case-queue">Change queue</label>
        <input
          id="case-queue"
          value={value}
          required
          maxLength={100}
          placeholder={queue ?? 'queue name'}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          Set queue
        </button>
        {queue !== null && (
          <button type="button" disabled={busy} onClick={() => void run(() => api('PATCH', path, { queue: null }), 'Case queue cleared')}>
            Clear queue
          </button>
        )}
      </form>
    </>
  );
}

export function AddTaskForm({ caseId, queue, session, onChange }: Props) {
  const [title, setTitle] = useState('');
  const [taskQueue, setTaskQueue] = useState<string | null>(null);
  const [assignee, setAssignee] = useState('');
  const { error, busy, run } = useSubmit(onChange);
  if (!can(session, 'operator')) return null;
  // The case's queue until the operator types another.
  const shownQueue = taskQueue ?? queue ?? '';
  return (
    <section aria-labelledby="add-task-h">
      <h2 id="add-task-h">Add task</h2>
      <ErrorBox error={error} />
      <form
        class="add-task"
        onSubmit={(e) => {
          e.preventDefault();
          const body: Record<string, string> = { title: title.trim() };
          if (shownQueue.trim()) body.queue = shownQueue.trim();
          if (assignee.trim()) body.assignee = assignee.trim();
          void run(() => api('POST', `/v1/cases/${encodeURIComponent(caseId)}/tasks`, body), 'Task added').then((ok) => {
            if (!ok) return;
            setTitle('');
            setTaskQueue(null);
            setAssignee('');
          });
        }}
      >
        <label for="add-task-title">Title</label>
        <input id="add-task-title" value={title} required maxLength={500} onInput={(e) => setTitle(e.currentTarget.value)} />
        <label for="add-task-queue">Queue</label>
        {/* Required when the case has no queue of its own: the API has nowhere else to put the task. */}
        <input
          id="add-task-queue"
          value={shownQueue}
          required={queue === null}
          maxLength={100}
          onInput={(e) => setTaskQueue(e.currentTarget.value)}
        />
        <label for="add-task-assignee">Assignee (optional)</label>
        <input
          id="add-task-assignee"
          value={assignee}
          maxLength={64}
          placeholder="the queue decides"
          onInput={(e) => setAssignee(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          Add task
        </button>
      </form>
    </section>
  );
}

/** What the case page gives a step's Retry and Skip: the step, who is signed in, and how to read the case again. */
interface StepButtonProps {
  caseId: string;
  step: string;
  session: Session;
  onChange: () => void;
}

/**
 * An operator's command on a step (retry, skip), sent with its repeat key (the same one again after no
 * answer came). Refused for the case as it now is (409, 404): the refusal is said and the case read again.
 */
async function sendStepCommand<T>(o: {
  caseId: string;
  step: string;
  command: 'retry' | 'skip';
  key: RepeatKey;
  body?: object;
  onChange: () => void;
}): Promise<T> {
  const path = `/v1/cases/${encodeURIComponent(o.caseId)}/steps/${encodeURIComponent(o.step)}/${o.command}`;
  try {
    const r = await api<T>('POST', path, o.body, 'application/json', { 'idempotency-key': o.key.for(o.body ?? {}) });
    o.key.settle();
    return r;
  } catch (e) {
    o.key.settle(e);
    if (e instanceof ApiError && (e.status === 409 || e.status === 404)) {
      announce(`Step ${o.step} was not ${o.command === 'retry' ? 'retried' : 'skipped'}: ${e.detail || e.title}`);
      o.onChange();
    }
    throw e;
  }
}

/**
 * Retry of a failed step that has no action to retry (its expression or its condition failed, or its
 * task was closed Not Done): the case stopped there, so every later step is still pending. Pressed again
 * after no answer came, it is sent with the same Idempotency-Key, so the step runs once. A retry that
 * ran and failed again is said so (with the step's new error), not as a retry that went through; a
 * refusal (someone else retried it meanwhile, or closed the case) reads the case again, so the page shows it as it is.
 */
export function StepRetryButton({ caseId, step, session, onChange }: StepButtonProps) {
  const { error, busy, run } = useFormRequest();
  const key = useRef(new RepeatKey('ui-step-retry'));
  if (!can(session, 'operator')) return null;
  type Answer = { steps: Array<{ name: string; status: string; error: string | null }> };
  const press = async (): Promise<void> => {
    const r = await run(() => sendStepCommand<Answer>({ caseId, step, command: 'retry', key: key.current, onChange }));
    if (!r) return;
    const now = r.value.steps.find((s) => s.name === step);
    announce(
      now?.status === 'failed' ? `Step ${step} was retried and failed again${now.error ? `: ${now.error}` : ''}` : `Step ${step} retried`,
    );
    onChange();
  };
  return (
    <div class="step-retry">
      <button type="button" disabled={busy} aria-label={`Retry step ${step}`} onClick={() => void press()}>
        Retry
      </button>
      <ErrorBox error={error} />
    </div>
  );
}

/**
 * Skip of a failed step the case stopped at, for good (POST /v1/cases/{id}/steps/{name}/skip): the case
 * goes on to its next steps. It cannot be undone, so it asks first. Pressed again after no answer came,
 * it is sent with the same Idempotency-Key (the same note), so the step is skipped once and the answer is
 * the case; a refusal (someone else skipped or retried it meanwhile, or closed the case) reads the case again.
 */
export function StepSkipButton({ caseId, step, session, onChange }: StepButtonProps) {
  const [note, setNote] = useState('');
  const { error, busy, run } = useFormRequest();
  const key = useRef(new RepeatKey('ui-step-skip'));
  if (!can(session, 'operator')) return null;
  const send = (): Promise<unknown> =>
    sendStepCommand({ caseId, step, command: 'skip', key: key.current, body: note.trim() ? { note: note.trim() } : {}, onChange });
  const press = async (): Promise<void> => {
    if (!window.confirm(`Skip step ${step} for good? The case goes on to its next steps; this cannot be undone.`)) return;
    if (!(await run(send))) return;
    setNote('');
    announce(`Step ${step} skipped`);
    onChange();
  };
  return (
    <form
      class="step-skip inline"
      onSubmit={(e) => {
        e.preventDefault();
        void press();
      }}
    >
      <label for={`step-skip-note-${step}`}>Why skip (optional)</label>
      <input id={`step-skip-note-${step}`} value={note} maxLength={1000} onInput={(e) => setNote(e.currentTarget.value)} />
      <button type="submit" disabled={busy} aria-label={`Skip step ${step}`}>
        Skip
      </button>
      <ErrorBox error={error} />
    </form>
  );
}
