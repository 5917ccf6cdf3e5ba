// "Correct the input and retry" on the action card: the action type's fields as they are now,
// filled with the action's input, and the retry sent with what the operator changed
// (POST /v1/actions/{id}/retry with `input`: only the changed fields, an emptied one removed). The
// server checks them as a launch's and names each field it refuses; nothing changes until it accepts.

import { useEffect, useRef, useState } from 'preact/hooks';
import { api, RepeatKey, type ActionView } from '../api.ts';
import { ErrorBox, Field, ReadFailed } from '../components.tsx';
import { inputValue, type ActionType } from './action-type-form.ts';
import { takesManualRetry } from '../../../lifecycle/retryable.ts';

/**
 * Whether the lifecycle takes a retry of this action (an action type's: a manual task has nothing to
 * send), and the server too: not the action of a case's step an operator skipped (nothing waits for it).
 */
export function retryable(a: ActionView): boolean {
  return a.actionTypeName !== null && takesManualRetry(a) && a.stepSkipped === undefined;
}

/** A value as its box shows it: text as typed, anything else as JSON, nothing as empty. */
const asText = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

export function InputCorrection({ a, done }: { a: ActionView; done: (next: ActionView) => void }) {
  const [open, setOpen] = useState(a.reason === 'invalid_input');
  const [type, setType] = useState<{ data?: ActionType; error?: unknown }>({});
  const [values, setValues] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // A correction whose answer was lost, sent again as it was, is answered as the first (RepeatKey).
  const repeat = useRef(new RepeatKey('ui-correction'));
  const sentValues = useRef<string | null>(null);
  // Filled when opened, and again only once the input itself changed (another person's correction):
  // every attempt and live update moves updatedAt, and refilling then wiped what was being typed.
  const inputText = JSON.stringify(a.input);
  const [changedMeanwhile, setChangedMeanwhile] = useState(false);
  const filledWith = useRef<{ id: string; input: string } | null>(null);
  useEffect(() => {
    if (!open) {
      filledWith.current = null;
      return;
    }
    let live = true;
    api<ActionType>('GET', `/v1/action-types/${encodeURIComponent(a.actionType)}`).then(
      (t) => live && setType({ data: t }),
      (e: unknown) => live && setType({ error: e }),
    );
    setChangedMeanwhile(filledWith.current !== null && filledWith.current.id === a.id && filledWith.current.input !== inputText);
    filledWith.current = { id: a.id, input: inputText };
    setValues(Object.fromEntries(Object.entries(a.input).map(([k, v]) => [k, asText(v)])));
    setError(null);
    return () => {
      live = false;
    };
  }, [open, a.id, inputText]);

  const fields = type.data?.parsedFields ?? {};
  const stale = Object.keys(a.input).filter((k) => type.data && !Object.hasOwn(fields, k));
  const patch = (): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(fields)) {
      const text = values[k] ?? '';
      if (text === asText(a.input[k])) continue;
      out[k] = text === '' ? null : inputValue(s.type, text);
    }
    return out;
  };
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    // Pressed again after no answer came, the values as they were sent: that request again, as it was.
    // A patch read now would leave out what the lost one already changed (a live update brings the
    // corrected input), and be another retry under another key.
    const typed = JSON.stringify(values);
    const held = sentValues.current === typed ? repeat.current.heldBody() : undefined;
    const body = held !== undefined ? (JSON.parse(held) as { input: Record<string, unknown> }) : { input: patch() };
    sentValues.current = typed;
    try {
      const next = await api<ActionView>('POST', `/v1/actions/${encodeURIComponent(a.id)}/retry`, body, 'application/json', {
        'idempotency-key': repeat.current.for(body),
      });
      repeat.current.settle();
      setError(null);
      setOpen(false);
      done(next);
    } catch (err) {
      repeat.current.settle(err);
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <details class="panel" data-testid="input-correction" open={open}>
      {/* Opened and closed by its own state: a click left to the browser's toggle (its event comes a
          task later) was undone by a live update's render in between, on an action retrying often. */}
      <summary
        onClick={(e) => {
          e.preventDefault();
          setOpen(!open);
        }}
      >
        Correct the input and retry
      </summary>
      {type.error ? (
        <ReadFailed what="The action type" about=", so its fields cannot be shown" error={type.error} />
      ) : !type.data ? (
        open && <p class="loading">Loading the action type…</p>
      ) : (
        <form onSubmit={(e) => void submit(e)} aria-label="Correct the input and retry">
          <p class="hint">
            The fields of {type.data.name} as they are now. Only what you change is sent with the retry; an emptied box removes its value.
            The change is kept on the timeline with the earlier values.
          </p>
          {Object.entries(fields).map(([k, s]) => (
            <Field key={k} label={`${k} (${s.type}${s.required ? '' : ', optional'})`} id={`fix-${k}`}>
              <input
                id={`fix-${k}`}
                name={k}
                value={values[k] ?? ''}
                onInput={(e) => setValues({ ...values, [k]: e.currentTarget.value })}
              />
            </Field>
          ))}
          {changedMeanwhile && (
            <p class="notice" role="status" data-testid="input-changed">
              The input was corrected by someone else meanwhile: the boxes show it as it is now.
            </p>
          )}
          {stale.length > 0 && (
            <p class="hint" data-testid="stale-fields">
              Kept as they are and not sent (the action type no longer has them): {stale.join(', ')}.
            </p>
          )}
          <ErrorBox error={error} />
          {!retryable(a) && (
            <p class="hint" data-testid="attempt-on-its-way">
              An attempt is on its way: retry with these values once it is answered.
            </p>
          )}
          <p class="buttons">
            <button type="submit" disabled={busy || !retryable(a)}>
              Retry with these values
            </button>
          </p>
        </form>
      )}
    </details>
  );
}
