// Completing a task by hand: Done or Not Done Successfully, with an optional note. One form for the
// action card and the case page's task panel, so a task is never closed by a single click.

import { useEffect, useRef, useState } from 'preact/hooks';
import { titleOf, type ActionView } from '../api.ts';
import { Field } from '../components.tsx';

export function CompleteForm({
  a,
  id,
  done,
  legend,
  opened,
  cancel,
}: {
  a: ActionView;
  id: string;
  done: (body: unknown) => void;
  legend?: string;
  /** Opened by a button that it replaces (Complete…): the focus goes into it, not to the page itself. */
  opened?: boolean;
  /** Closes it without completing (a Cancel button beside Complete). */
  cancel?: () => void;
}) {
  const [resolution, setResolution] = useState('done_successfully');
  const [note, setNote] = useState('');
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (opened) first.current?.focus();
  }, []);
  return (
    <form
      class="complete"
      onSubmit={(e) => {
        e.preventDefault();
        done({ resolution, ...(note ? { note } : {}) });
      }}
    >
      <fieldset>
        <legend>{legend ?? `Complete ${titleOf(a)}`}</legend>
        <label>
          <input
            ref={first}
            type="radio"
            name={`${id}-resolution`}
            value="done_successfully"
            checked={resolution === 'done_successfully'}
            onChange={() => setResolution('done_successfully')}
          />{' '}
          Done Successfully
        </label>
        <label>
          <input
            type="radio"
            name={`${id}-resolution`}
            value="not_done_successfully"
            checked={resolution === 'not_done_successfully'}
            onChange={() => setResolution('not_done_successfully')}
          />{' '}
          Not Done Successfully
        </label>
        <Field label="Note" id={`${id}-note`}>
          <textarea id={`${id}-note`} rows={2} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        </Field>
        <button type="submit">Complete</button>
        {cancel && (
          <button type="button" onClick={cancel}>
            Cancel
          </button>
        )}
      </fieldset>
    </form>
  );
}
