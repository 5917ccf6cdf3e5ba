// An operator's due time on a To Do or In Progress work item: a date-time read and written in the
// zone the person has chosen to see times in (not the browser's), set or cleared with one request.

import { useState } from 'preact/hooks';
import { useFormState } from '../components.tsx';
import type { ActionView } from '../api.ts';
import { useTimeZone } from '../time-zone.ts';
import { fromLocalInput, toLocalInput } from '../times.ts';

export function DueForm({ a, id, act }: { a: ActionView; id: string; act: (body: { dueAt: string | null }, said: string) => void }) {
  const zone = useTimeZone();
  const shown = a.dueAt ? toLocalInput(new Date(a.dueAt), zone) : '';
  // The item's time changed (here or elsewhere), or the zone did: the field shows it anew, in that render.
  const [value, setValue] = useFormState(shown, () => shown);
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <form
      class="inline due-form"
      onSubmit={(e) => {
        e.preventDefault();
        const at = fromLocalInput(value, zone);
        if (!at) return setProblem('Give a date and a time');
        setProblem(null);
        act({ dueAt: at.toISOString() }, 'Due date set');
      }}
    >
      <label for={id}>Due ({zone})</label>
      <input
        id={id}
        type="datetime-local"
        value={value}
        aria-invalid={problem ? 'true' : undefined}
        aria-describedby={problem ? `${id}-problem` : undefined}
        onInput={(e) => setValue(e.currentTarget.value)}
      />
      <button type="submit">Set due</button>
      {a.dueAt && (
        <button type="button" onClick={() => act({ dueAt: null }, 'Due date cleared')}>
          Clear due
        </button>
      )}
      {problem && (
        <span id={`${id}-problem`} class="field-error" role="alert">
          {problem}
        </span>
      )}
    </form>
  );
}
