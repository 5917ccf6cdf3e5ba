// A task on the case page (a To Do or In Progress action): pick it up, note on it, reassign it to a
// queue or person, complete it, or accept or decline the solution its provider handed back. Each
// control posts to the API and the page refetches what changed.

import { useEffect, useRef, useState } from 'preact/hooks';
import { api, can, heldByOther, titleOf, type ActionView, type Session } from '../api.ts';
import { ErrorBox, StateBadge, announce, whyLine } from '../components.tsx';
import { CompleteForm } from './complete-form.tsx';
import { useFormRequest } from '../form-request.ts';
import { HandedBackSolution } from './solution.tsx';

export function TaskPanel({ a, session, onChange }: { a: ActionView; session: Session; onChange: () => void }) {
  const [note, setNote] = useState('');
  const [queue, setQueue] = useState('');
  const [assignee, setAssignee] = useState('');
  const p = `task-${a.id.slice(-8)}`;
  // A pressed button that goes with the answer (Pick up): the focus goes to the task's heading.
  const { error, busy, run } = useFormRequest(() => document.getElementById(`${p}-h`));
  const [completing, setCompleting] = useState(false);
  const base = `/v1/actions/${encodeURIComponent(a.id)}`;
  // The page reads the case again after a change, and the pressed button may go with the new state
  // (Pick up becomes Complete…): once it has, a focus left on the page itself goes to the task's heading.
  const acted = useRef(false);
  useEffect(() => {
    if (!acted.current) return;
    acted.current = false;
    if (document.activeElement === null || document.activeElement === document.body) document.getElementById(`${p}-h`)?.focus();
  }, [a.updatedAt]);
  const act = async (path: string, body: unknown, said: string): Promise<boolean> => {
    if (!(await run(() => api('POST', `${base}/${path}`, body)))) return false;
    acted.current = true;
    announce(said);
    onChange();
    return true;
  };
  const operator = can(session, 'operator');
  return (
    <section class="task" aria-labelledby={`${p}-h`} data-task={a.id}>
      <h3 id={`${p}-h`} tabIndex={-1}>
        <a href={`/ui/actions/${a.id}`}>{titleOf(a)}</a> <StateBadge a={a} />
      </h3>
      <p class="why">{whyLine(a)}</p>
      <ErrorBox error={error} />
      {a.solution && <HandedBackSolution a={a} session={session} heading="h4" changed={onChange} />}
      {operator && (
        <div class="task-controls">
          {a.state === 'todo' && (
            <button type="button" disabled={busy} onClick={() => void act('pick-up', undefined, 'Task picked up')}>
              Pick up
            </button>
          )}
          {/* With a solution to decide on, completing is accepting it (above). */}
          {a.state === 'in_progress' && !heldByOther(session, a) && !a.solution && !completing && (
            <button type="button" id={`${p}-completing`} disabled={busy} onClick={() => setCompleting(true)}>
              Complete…
            </button>
          )}
          {heldByOther(session, a) && (
            <button type="button" disabled={busy} onClick={() => void act('assign', { assignee: 'me' }, 'Task taken over')}>
              Take over from {a.assignee}
            </button>
          )}
          {a.state === 'in_progress' && !heldByOther(session, a) && !a.solution && completing && (
            <CompleteForm
              a={a}
              id={`${p}-complete`}
              done={(body) => void act('complete', body, 'Task completed').then((ok) => ok && setCompleting(false))}
              opened
              cancel={() => {
                setCompleting(false);
                setTimeout(() => document.getElementById(`${p}-completing`)?.focus(), 0);
              }}
            />
          )}
          <form
            class="inline"
            onSubmit={(e) => {
              e.preventDefault();
              void act('notes', { note }, 'Note added').then((ok) => ok && setNote(''));
            }}
          >
            <label for={`${p}-note`}>Note</label>
            <input id={`${p}-note`} value={note} required maxLength={10_000} onInput={(e) => setNote(e.currentTarget.value)} />
            <button type="submit" disabled={busy}>
              Add note
            </button>
          </form>
          <form
            class="inline"
            onSubmit={(e) => {
              e.preventDefault();
              const body: Record<string, string> = {};
              if (queue.trim()) body.queue = queue.trim();
              if (assignee.trim()) body.assignee = assignee.trim();
              // Done: the boxes are emptied (they showed the queue it had moved to as if still to send).
              void act('assign', body, 'Task reassigned').then((ok) => {
                if (ok) {
                  setQueue('');
                  setAssignee('');
                }
              });
            }}
          >
            <label for={`${p}-queue`}>Queue</label>
            <input id={`${p}-queue`} value={queue} placeholder={a.queue ?? ''} onInput={(e) => setQueue(e.currentTarget.value)} />
            <label for={`${p}-assignee`}>Assignee</label>
            <input
              id={`${p}-assignee`}
              value={assignee}
              placeholder={a.assignee ?? 'user name or me'}
              onInput={(e) => setAssignee(e.currentTarget.value)}
            />
            <button type="submit" disabled={busy}>
              Reassign
            </button>
          </form>
        </div>
      )}
    </section>
  );
}
