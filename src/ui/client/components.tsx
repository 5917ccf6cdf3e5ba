// Small pieces shared by the screens: times, state badges, the one line that says why an action
// waits, errors shown as errors, and a polite live region for announcements.

import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type ActionView, type FieldError } from './api.ts';
import { fullTime, shortTime } from './times.ts';
import { shownZone, useTimeZone } from './time-zone.ts';
import { LABELS, REASONS, RESOLUTIONS, STATES } from '../../lifecycle/states.ts';

export const PHASE_LABELS: Record<string, string> = {
  queued: 'Queued',
  throttled: 'Throttled',
  sending: 'Sending',
  retry_scheduled: 'Retry scheduled',
  awaiting_callback: 'Awaiting callback',
};

/** Words to the labels people see, with no prototype: a word from the URL (`constructor`) is not a label. */
const labelsOf = (words: Record<string, keyof typeof LABELS>): Readonly<Record<string, string>> =>
  Object.freeze(Object.assign(Object.create(null) as Record<string, string>, ...Object.values(words).map((w) => ({ [w]: LABELS[w] }))));
export const STATE_LABELS = labelsOf(STATES);
export const REASON_LABELS = labelsOf(REASONS);
export const RESOLUTION_LABELS = labelsOf(RESOLUTIONS);

/** Today's times as 14:05:09, other days with the date: in the zone the viewer chose (the zone setting). */
export function when(iso: string | null | undefined): string {
  if (!iso) return '';
  return shortTime(new Date(iso), shownZone());
}

const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z/g;

/**
 * Text from the server (a timeline entry, a notice) with the UTC times in it ("Retry 2 of 5 at
 * 2026-12-05T02:00:00.000Z") shown as every other time on the page is: in the chosen zone, the full date on hover.
 */
export function Timed({ text }: { text: string }) {
  const parts: ComponentChildren[] = [];
  let last = 0;
  for (const m of text.matchAll(ISO_TIME)) {
    parts.push(text.slice(last, m.index), <Time iso={m[0]} />);
    last = m.index + m[0].length;
  }
  if (last === 0) return <>{text}</>;
  parts.push(text.slice(last));
  return <>{parts}</>;
}

/**
 * A time in the zone the viewer chose; on hover the full date with the zone's name or offset, so
 * "01:30" on the night the clocks go back is not ambiguous. `exact` adds the ISO time there too (a
 * schedule's next run).
 */
export function Time({ iso, exact }: { iso: string | null | undefined; exact?: boolean }) {
  const zone = useTimeZone();
  if (!iso) return null;
  const full = fullTime(new Date(iso), zone);
  return (
    <time dateTime={iso} title={exact ? `${full} (${iso})` : full}>
      {when(iso)}
    </time>
  );
}

/** When the work on an action is due, said "Overdue" once past while it is open (in words, not colour alone). */
export function DueTime({ a }: { a: Pick<ActionView, 'dueAt' | 'state'> }) {
  if (!a.dueAt) return null;
  const past = (a.state === 'todo' || a.state === 'in_progress') && Date.parse(a.dueAt) <= Date.now();
  return (
    <span class={past ? 'overdue' : undefined} data-testid="due">
      {past && <strong>Overdue: </strong>}
      <Time iso={a.dueAt} />
    </span>
  );
}

/** Says which zone the times near it are in, where a list of bare times would leave it open (a timeline). */
export function ZoneNote() {
  const zone = useTimeZone();
  return <span class="hint zone-note">Times in {zone}.</span>;
}

export function stateText(a: Pick<ActionView, 'labels'>): string {
  return [a.labels.state, a.labels.reason ?? a.labels.resolution].filter(Boolean).join(' – ');
}

export function StateBadge({ a }: { a: ActionView }) {
  return (
    <span class={`badge state-${a.state}${a.resolution === 'not_done_successfully' ? ' bad' : ''}`} data-testid="state">
      {stateText(a)}
    </span>
  );
}

/** Why the action is where it is and when it moves, in one line (SPEC section 2's words). */
export function whyLine(a: ActionView): string {
  const n = a.retry.count;
  if (a.state === 'waiting') {
    if (a.retry.paused) return `automatic retries paused after ${n} of ${a.retry.max}`;
    switch (a.phase) {
      case 'queued':
        // A launch for later (startAt) waits queued until then.
        return a.startAt && Date.parse(a.startAt) > Date.now()
          ? `scheduled: goes out ${when(a.startAt)}`
          : 'queued: goes out as soon as the engine takes it';
      case 'throttled':
        return `held: ${a.heldBy?.detail ?? 'a rate limit'}${a.throttledUntil ? `; goes about ${when(a.throttledUntil)}` : ''}`;
      case 'sending':
        return 'being sent now';
      case 'retry_scheduled':
        return `retry ${n + 1} of ${a.retry.max} at ${when(a.retry.nextRetryAt)}`;
      case 'awaiting_callback':
        // With no completion timeout it waits for ever: say so, and what moves it, rather than nothing.
        return a.timeoutAt
          ? `awaiting callback, times out ${when(a.timeoutAt)}`
          : 'awaiting callback, with no timeout: waits until the external system calls back or a person completes it';
      default:
        return 'waiting';
    }
  }
  if (a.state === 'todo')
    return `for ${[a.queue && `queue ${a.queue}`, a.assignee].filter(Boolean).join(', ') || 'a person'}: ${a.rejectedReason ?? a.labels.reason ?? ''}`;
  if (a.state === 'in_progress') return `picked up by ${a.assignee ?? 'someone'}`;
  return `${a.labels.resolution ?? 'closed'} ${when(a.closedAt)}${a.escalated ? ' · escalated' : ''}`;
}

/** An error is shown as an error, never as an empty screen. */
export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : new ApiError(0, 'Something went wrong', (error as Error).message ?? String(error));
  // A validation problem's detail is its field list in one line: shown once, as the list.
  const restated = e.errors.length > 0 && e.errors.every((x) => e.detail.includes(x.message));
  return (
    <div class="error" role="alert">
      <strong>{e.title}</strong> {restated ? null : e.detail}
      {e.errors.length > 0 && (
        <ul>
          {e.errors.map((x) => (
            <li key={x.field}>
              <code>{x.field || '(body)'}</code> {x.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * A read that failed, said as such and never as "none" (no notes, no connectors): what could not be
 * read, `about` what (", so the filter is not shown"), the server's reason, then `children` (what now).
 */
export function ReadFailed(props: { what: string; about?: string; error: unknown; testId?: string; children?: ComponentChildren }) {
  // An ApiError's message is its detail, else its title.
  const e = props.error as { message?: unknown } | null;
  const why = String(e?.message ?? props.error).replace(/\.$/, '');
  return (
    <div class="error" role="alert" data-testid={props.testId}>
      <strong>{props.what} could not be read</strong>
      {props.about}: {why}. {props.children}
    </div>
  );
}

export function Field(props: { label: string; id: string; hint?: string; children: ComponentChildren }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint && (
        <small id={`${props.id}-hint`} class="hint">
          {props.hint}
        </small>
      )}
    </div>
  );
}

/** A retry policy as typed (an action type's, a webhook subscription's own): most retries, interval, backoff, longest wait. */
export interface RetryText {
  maxRetries: string;
  interval: string;
  backoff: string;
  /** Empty: none chosen, the API derives it (the larger of an hour and the interval). */
  maxInterval: string;
}

/**
 * What the API said, in a refused save (`error`), of the fields `about` picks, for the input `id`: its
 * attributes (invalid, described by its hint when it has one and by the message) and the message beside it,
 * each problem in the words `text` gives; `announce`: the message is an alert as it appears.
 */
export function problemAt(
  error: unknown,
  id: string,
  o: { about: (field: string) => boolean; text?: (p: FieldError) => string; hint?: boolean; announce?: boolean },
) {
  const said = error instanceof ApiError ? error.errors.filter((x) => o.about(x.field)) : [];
  const describedBy = [o.hint && `${id}-hint`, said.length > 0 && `${id}-error`].filter(Boolean).join(' ') || undefined;
  return {
    attrs: { id, 'aria-invalid': said.length > 0 ? ('true' as const) : undefined, 'aria-describedby': describedBy },
    message: said.length > 0 && (
      <small id={`${id}-error`} class="field-error" role={o.announce ? 'alert' : undefined}>
        {said.map(o.text ?? ((x) => x.message)).join('; ')}
      </small>
    ),
  };
}

/**
 * A refused save at the foot of its form: the problem's title, and the problems no field shows beside it
 * (`beside` picks those a field does: problemAt), listed with their API field; any other error as ErrorBox.
 */
export function NotSaved({ error, beside }: { error: unknown; beside: (field: string) => boolean }) {
  const problems = error instanceof ApiError ? error.errors : [];
  if (!(error instanceof ApiError) || problems.length === 0) return <ErrorBox error={error} />;
  const elsewhere = problems.filter((x) => !beside(x.field));
  return (
    <div class="error" role="alert">
      <strong>{error.title}</strong> Not saved: {elsewhere.length === problems.length ? 'see below.' : 'see the fields marked above.'}
      {elsewhere.length > 0 && (
        <ul>
          {elsewhere.map((x) => (
            <li key={x.field}>
              <code>{x.field || '(body)'}</code> {x.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** What the server said of `field` when it refused a save, if it named it. */
function problemWith(error: unknown, field: string): string | undefined {
  return error instanceof ApiError ? error.errors.find((x) => x.field === field)?.message : undefined;
}

/**
 * The fields of a retry policy; `prefix` keeps their ids apart from the form's others. A problem the
 * API named with a field (`retry.maxInterval`) from the last save, `error`, is shown under that field.
 */
export function RetryFields(props: { prefix: string; value: RetryText; onChange: (change: Partial<RetryText>) => void; error?: unknown }) {
  const { prefix, value, onChange, error } = props;
  const problem = (key: keyof RetryText, id: string) => {
    const message = problemWith(error, `retry.${key}`);
    return {
      message: message && (
        <small id={`${id}-error`} class="field-error">
          {message}
        </small>
      ),
      attrs: { 'aria-invalid': message ? ('true' as const) : undefined, 'aria-describedby': message ? `${id}-error` : undefined },
    };
  };
  const retries = problem('maxRetries', `${prefix}-retries`);
  const interval = problem('interval', `${prefix}-interval`);
  const backoff = problem('backoff', `${prefix}-backoff`);
  const longest = problem('maxInterval', `${prefix}-max-interval`);
  return (
    <>
      <div class="row">
        <Field label="Most retries" id={`${prefix}-retries`}>
          <input
            id={`${prefix}-retries`}
            inputMode="numeric"
            value={value.maxRetries}
            {...retries.attrs}
            onInput={(e) => onChange({ maxRetries: e.currentTarget.value })}
          />
          {retries.message}
        </Field>
        <Field label="Retry interval" id={`${prefix}-interval`}>
          <input
            id={`${prefix}-interval`}
            placeholder="e.g. 30s"
            value={value.interval}
            {...interval.attrs}
            onInput={(e) => onChange({ interval: e.currentTarget.value })}
          />
          {interval.message}
        </Field>
        <Field label="Backoff" id={`${prefix}-backoff`}>
          <select
            id={`${prefix}-backoff`}
            value={value.backoff}
            {...backoff.attrs}
            onChange={(e) => onChange({ backoff: e.currentTarget.value })}
          >
            <option value="exponential">exponential</option>
            <option value="fixed">fixed</option>
          </select>
          {backoff.message}
        </Field>
      </div>
      <Field
        label="Longest wait"
        id={`${prefix}-max-interval`}
        hint="The longest wait between two attempts, at least the interval; it bounds exponential backoff. Empty: the longer of an hour and the interval."
      >
        <input
          id={`${prefix}-max-interval`}
          placeholder="e.g. 1h"
          value={value.maxInterval}
          {...longest.attrs}
          aria-describedby={[`${prefix}-max-interval-hint`, longest.attrs['aria-describedby']].filter(Boolean).join(' ')}
          onInput={(e) => onChange({ maxInterval: e.currentTarget.value })}
        />
        {longest.message}
      </Field>
    </>
  );
}

let announceText: (t: string) => void = () => undefined;
/** Says a change out loud to screen readers (aria-live polite). */
export function announce(text: string): void {
  announceText(text);
}
export function Announcer() {
  const [text, setText] = useState('');
  useEffect(() => {
    announceText = setText;
  }, []);
  return (
    <div class="sr-only" aria-live="polite" role="status">
      {text}
    </div>
  );
}

/**
 * Loads data for a screen; `reload` fetches again; errors are kept to be shown. A failed reload keeps
 * the data shown; a failed load for other deps (another search) clears it: the old rows under the
 * error are not the answer to what was asked. `current`: the data answers the latest load (these deps,
 * the last reload), where until then it is the one before, for a screen that must not act on that.
 */
export function useData<T>(
  load: () => Promise<T>,
  deps: unknown[],
): { data: T | undefined; error: unknown; current: boolean; reload: () => void; setData: (t: T) => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [n, setN] = useState(0);
  const [loaded, setLoaded] = useState<{ deps: unknown[]; n: number } | null>(null);
  const loadedFor = useRef<unknown[] | null>(null);
  const sameDeps = (other: unknown[] | null | undefined): boolean =>
    other?.length === deps.length && deps.every((x, i) => Object.is(x, other[i]));
  useEffect(() => {
    let live = true;
    load().then(
      (d) => {
        if (!live) return;
        loadedFor.current = deps;
        setLoaded({ deps, n });
        setData(d);
        setError(null);
      },
      (e: unknown) => {
        if (!live) return;
        if (!sameDeps(loadedFor.current)) setData(undefined);
        setError(e);
      },
    );
    return () => {
      live = false;
    };
  }, [...deps, n]);
  const current = loaded !== null && loaded.n === n && sameDeps(loaded.deps);
  return { data, error, current, reload: () => setN((x) => x + 1), setData };
}

/**
 * A form's state that starts again from `init()` when `key` changes (another record, or a new revision of it) in
 * the same render. Resetting from an effect paints one frame with the previous record's values first: after a
 * connector is created that frame showed its new heading over the secret just typed.
 */
export function useFormState<T>(key: string, init: () => T): [T, (next: T | ((cur: T) => T)) => void] {
  const [state, setState] = useState<{ key: string; value: T }>(() => ({ key, value: init() }));
  const value = state.key === key ? state.value : init();
  const set = (next: T | ((cur: T) => T)): void =>
    setState((s) => {
      const cur = s.key === key ? s.value : init();
      return { key, value: typeof next === 'function' ? (next as (cur: T) => T)(cur) : next };
    });
  return [value, set];
}
