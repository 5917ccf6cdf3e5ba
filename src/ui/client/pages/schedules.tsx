// Schedules (SPEC 10.1): the list (/ui/schedules) with what each launches, when, its next run in the
// viewer's time and whether it is paused; a schedule's page (/ui/schedules/{id}) with its recent runs.
// Builders create, change (If-Match: a change someone saved since is refused, and the page offers to
// read theirs), pause or resume, and delete; every other role reads them, with nothing to press.

import { useState } from 'preact/hooks';
import { api, ApiError, can, patchIf, readProcessNames, readWholeList, type Session } from '../api.ts';
import { ErrorBox, Field, NotSaved, Time, announce, problemAt, useData, useFormState } from '../components.tsx';
import { useFormRequest } from '../form-request.ts';
import { navigate } from '../router.ts';
import { MoreButton, usePagedList } from '../paged-list.tsx';
import { FIELDS, bodyOf, formOf, isAbout, type Form, type Launch, type Schedule, type Tick } from './schedule-form.ts';

interface Named {
  id: string;
  name: string;
}

/** The action types and processes a schedule launches, by id, for their names. A failed read leaves the ids shown. */
function useRefs(builder: boolean) {
  const types = useData(() => readWholeList<Named>('/v1/action-types'), []);
  // Processes are read by people's roles; a builder also chooses from them.
  // Every page of them: the list pages, and a schedule may launch any.
  const processes = useData(readProcessNames, []);
  return { types: types.data?.items, processes: processes.data, error: builder ? (types.error ?? processes.error) : null };
}
type Refs = ReturnType<typeof useRefs>;

const nameIn = (list: Named[] | undefined, ref: string): string => list?.find((x) => x.id === ref || x.name === ref)?.name ?? ref;

function LaunchText({ launch, refs }: { launch: Launch; refs: Refs }) {
  if ('actionType' in launch) return <>Action: {nameIn(refs.types, launch.actionType)}</>;
  return (
    <>
      Case of {nameIn(refs.processes, launch.process)}
      {launch.title && <div class="hint">titled “{launch.title}”</div>}
    </>
  );
}

const status = (s: Schedule): string => (s.paused ? 'Paused' : s.nextRunAt ? 'Enabled' : 'Finished: no run left');

export function SchedulesPage({ session }: { session: Session }) {
  const builder = can(session, 'builder');
  // The API pages them (newest first): "More schedules" adds the next page below the ones shown.
  const list = usePagedList<Schedule>('/v1/schedules', (s) => s.id);
  const refs = useRefs(builder);
  const toggle = useFormRequest();
  const pause = async (s: Schedule): Promise<void> => {
    // The tag the list read: a schedule someone changed since is not paused over their change.
    const r = await toggle.run(() => patchIf<Schedule>(`/v1/schedules/${encodeURIComponent(s.id)}`, { paused: !s.paused }, s.etag));
    if (!r) return;
    announce(`${r.value.name} ${r.value.paused ? 'paused' : 'resumed'}`);
    // The row as the pause left it (its state and tag) until the list is read again: a second press on a
    // slow server would send the old tag and be refused as someone else's change.
    const cur = list.data;
    if (cur) list.setData({ ...cur, items: cur.items.map((x) => (x.id === r.value.id ? r.value : x)) });
    list.reload();
  };
  return (
    <main id="main">
      <h1 tabIndex={-1}>Schedules</h1>
      <ErrorBox error={list.error} />
      <ErrorBox error={toggle.error} />
      {toggle.error instanceof ApiError && toggle.error.status === 412 && (
        <button
          type="button"
          onClick={() => {
            toggle.setError(null);
            list.reload();
          }}
        >
          Reload the schedules
        </button>
      )}
      {list.data && list.data.items.length === 0 && <p class="empty">No schedules yet.</p>}
      {list.data && list.data.items.length > 0 && (
        <table data-testid="schedules">
          <thead>
            <tr>
              <th scope="col">Schedule</th>
              <th scope="col">Launches</th>
              <th scope="col">Runs</th>
              <th scope="col">Next run</th>
              <th scope="col">Status</th>
              <th scope="col">Last run</th>
              {builder && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((s) => (
              <tr key={s.id} data-id={s.id}>
                <th scope="row">
                  <a href={`/ui/schedules/${encodeURIComponent(s.id)}`}>{s.name}</a>
                </th>
                <td>
                  <LaunchText launch={s.launch} refs={refs} />
                </td>
                <td>
                  <code>{s.cron}</code> <span class="hint">{s.timezone}</span>
                </td>
                <td data-testid="next-run">{s.nextRunAt ? <Time iso={s.nextRunAt} exact /> : '—'}</td>
                <td data-testid="schedule-status">{status(s)}</td>
                <td>{s.lastTickAt ? <Time iso={s.lastTickAt} /> : 'Never'}</td>
                {builder && (
                  <td>
                    <button
                      type="button"
                      disabled={toggle.busy}
                      onClick={() => void pause(s)}
                      aria-label={`${s.paused ? 'Resume' : 'Pause'} ${s.name}`}
                    >
                      {s.paused ? 'Resume' : 'Pause'}
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <MoreButton list={list} label="More schedules" />
      {builder && (
        <section aria-labelledby="new-schedule-h">
          <h2 id="new-schedule-h">New schedule</h2>
          <ErrorBox error={refs.error} />
          <ScheduleForm refs={refs} onSaved={list.reload} />
        </section>
      )}
    </main>
  );
}

export function SchedulePage({ session, id }: { session: Session; id: string }) {
  const builder = can(session, 'builder');
  const loaded = useData(() => api<Schedule & { recentTicks: Tick[] }>('GET', `/v1/schedules/${encodeURIComponent(id)}`), [id]);
  const refs = useRefs(builder);
  const removal = useFormRequest();
  const s = loaded.data;
  const remove = async (): Promise<void> => {
    if (!s || !window.confirm(`Delete the schedule ${s.name}? It launches nothing more; what it launched stays.`)) return;
    // With the tag it was read with: a schedule someone changed since is not deleted over their change
    // (412). Then the page reads it again, so what they saved shows and a second Delete is of that.
    let stale = false;
    const deleted = await removal.run(() =>
      api('DELETE', `/v1/schedules/${encodeURIComponent(s.id)}`, undefined, undefined, { 'if-match': s.etag }).catch((e: unknown) => {
        stale = e instanceof ApiError && e.status === 412;
        throw e;
      }),
    );
    if (!deleted) {
      if (stale) {
        loaded.reload();
        removal.setError(
          new ApiError(
            412,
            'Changed by someone else',
            'Someone else saved this since you opened it: it now shows as they left it. Delete again to delete it as it is.',
          ),
        );
      }
      return;
    }
    announce(`Deleted ${s.name}`);
    navigate('/ui/schedules');
  };
  return (
    <main id="main">
      <p class="crumbs">
        <a href="/ui/schedules">Schedules</a>
      </p>
      <h1 tabIndex={-1}>Schedule {s?.name ?? id}</h1>
      <ErrorBox error={loaded.error} />
      {s && (
        <>
          <dl class="facts">
            <dt>Launches</dt>
            <dd>
              <LaunchText launch={s.launch} refs={refs} />
            </dd>
            <dt>Runs</dt>
            <dd>
              <code>{s.cron}</code> in {s.timezone}
            </dd>
            <dt>Next run</dt>
            <dd data-testid="next-run">{s.nextRunAt ? <Time iso={s.nextRunAt} exact /> : '—'}</dd>
            <dt>Status</dt>
            <dd data-testid="schedule-status">{status(s)}</dd>
            <dt>Created by</dt>
            <dd>{s.createdBy.replace(/^user:/, '')}</dd>
          </dl>
          <h2>Recent runs</h2>
          {s.recentTicks.length === 0 ? (
            <p class="empty">It has not run yet.</p>
          ) : (
            <table data-testid="ticks">
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Result</th>
                  <th scope="col">Node</th>
                </tr>
              </thead>
              <tbody>
                {s.recentTicks.map((t) => (
                  <tr key={t.tickAt}>
                    <td>
                      <Time iso={t.tickAt} exact />
                    </td>
                    <td>
                      {t.error ? (
                        <span class="field-error">Failed: {t.error}</span>
                      ) : t.launchedId ? (
                        <a href={`/ui/${'actionType' in s.launch ? 'actions' : 'cases'}/${encodeURIComponent(t.launchedId)}`}>Launched</a>
                      ) : (
                        'Launched'
                      )}
                    </td>
                    <td>{t.claimedBy}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {builder && (
            <section aria-labelledby="change-schedule-h">
              <h2 id="change-schedule-h">Change</h2>
              <ErrorBox error={refs.error} />
              <ScheduleForm schedule={s} refs={refs} onSaved={(saved) => loaded.setData({ ...s, ...saved })} onReload={loaded.reload} />
              <h2>Delete</h2>
              <ErrorBox error={removal.error} />
              <button type="button" disabled={removal.busy} onClick={() => void remove()}>
                Delete {s.name}
              </button>
            </section>
          )}
        </>
      )}
    </main>
  );
}

/**
 * Creates a schedule (no `schedule`) or changes one, sending the tag it was read with. A refusal is
 * shown beside the fields it names; a 412 offers to read the schedule again (`onReload`), which starts
 * the form over from what the other builder saved.
 */
function ScheduleForm(props: { schedule?: Schedule; refs: Refs; onSaved: (s: Schedule) => void; onReload?: () => void }) {
  const { schedule, refs, onSaved, onReload } = props;
  const isNew = schedule === undefined;
  const [created, setCreated] = useState(0);
  const [f, setF] = useFormState<Form>(isNew ? `new:${created}` : `${schedule.id}:${schedule.etag}`, () => formOf(schedule));
  const [saved, setSaved] = useState('');
  const { error, setError, busy, run } = useFormRequest();
  const set = (patch: Partial<Form>): void => setF({ ...f, ...patch });
  const p = isNew ? 'ns' : 'es';

  /** What the API said of `field` (and inside it), for the input `id`: its attributes and the message beside it. */
  const at = (field: string, id: string, label: string, hint = false) =>
    problemAt(error, id, {
      about: (x) => isAbout(x, field),
      text: (x) => `${x.field === field ? label : x.field.slice(field.length + 1)} ${x.message}`,
      hint,
    });
  // Problems with no field of the form (If-Match, the body) are listed under it (NotSaved).
  const stale = error instanceof ApiError && error.status === 412;

  const save = async (e: Event): Promise<void> => {
    e.preventDefault();
    setSaved('');
    const r = await run(() =>
      isNew
        ? api<Schedule>('POST', '/v1/schedules', bodyOf(f))
        : patchIf<Schedule>(`/v1/schedules/${encodeURIComponent(schedule.id)}`, bodyOf(f), schedule.etag),
    );
    if (!r) return;
    setSaved(isNew ? `Created ${r.value.name}.` : `Saved ${r.value.name}.`);
    if (isNew) setCreated((n) => n + 1);
    onSaved(r.value);
  };

  const name = at('name', `${p}-name`, 'Name');
  const cron = at('cron', `${p}-cron`, 'Cron', true);
  const zone = at('timezone', `${p}-timezone`, 'Time zone');
  const kind = at('launch', `${p}-kind`, 'Launch');
  const type = at('launch.actionType', `${p}-action-type`, 'Action type');
  const input = at('launch.input', `${p}-input`, 'Input', true);
  const process = at('launch.process', `${p}-process`, 'Process');
  const title = at('launch.title', `${p}-title`, 'Title');
  const data = at('launch.data', `${p}-data`, 'Data', true);
  const owner = at('launch.owner', `${p}-owner`, 'Owner');
  const paused = at('paused', `${p}-paused`, 'Paused');
  const options = (list: Named[] | undefined, current: string, what: string) => (
    <>
      <option value="">Choose {what}</option>
      {current && !list?.some((x) => x.id === current || x.name === current) && <option value={current}>{current}</option>}
      {list?.map((x) => (
        <option key={x.id} value={x.id}>
          {x.name}
        </option>
      ))}
    </>
  );

  return (
    <form onSubmit={(e) => void save(e)} class="form" data-testid="schedule-form">
      <fieldset class="form-fields" disabled={busy}>
        <Field label="Name" id={name.attrs.id}>
          <input {...name.attrs} value={f.name} onInput={(e) => set({ name: e.currentTarget.value })} />
          {name.message}
        </Field>
        <div class="row">
          <Field
            label="Cron"
            id={cron.attrs.id}
            hint="Minute, hour, day of month, month, day of week: 0 8 * * 1-5 is 08:00 on weekdays. Six parts put seconds first; @daily and @hourly work too."
          >
            <input {...cron.attrs} class="code" value={f.cron} onInput={(e) => set({ cron: e.currentTarget.value })} />
            {cron.message}
          </Field>
          <Field label="Time zone" id={zone.attrs.id}>
            <input
              {...zone.attrs}
              placeholder="Europe/Amsterdam"
              value={f.timezone}
              onInput={(e) => set({ timezone: e.currentTarget.value })}
            />
            {zone.message}
          </Field>
        </div>
        <Field label="Launches" id={kind.attrs.id}>
          <select {...kind.attrs} value={f.kind} onChange={(e) => set({ kind: e.currentTarget.value as Form['kind'] })}>
            <option value="action">An action of an action type</option>
            <option value="case">A case of a process</option>
          </select>
          {kind.message}
        </Field>
        {f.kind === 'action' ? (
          <>
            <Field label="Action type" id={type.attrs.id}>
              <select {...type.attrs} value={f.actionType} onChange={(e) => set({ actionType: e.currentTarget.value })}>
                {options(refs.types, f.actionType, 'an action type')}
              </select>
              {type.message}
            </Field>
            <Field
              label="Input"
              id={input.attrs.id}
              hint='A JSON object of the action type’s input fields, such as {"Title": "Daily check"}.'
            >
              <textarea {...input.attrs} class="code" rows={4} value={f.input} onInput={(e) => set({ input: e.currentTarget.value })} />
              {input.message}
            </Field>
          </>
        ) : (
          <>
            <Field label="Process" id={process.attrs.id}>
              <select {...process.attrs} value={f.process} onChange={(e) => set({ process: e.currentTarget.value })}>
                {options(refs.processes, f.process, 'a process')}
              </select>
              {process.message}
            </Field>
            <div class="row">
              <Field label="Case title" id={title.attrs.id}>
                <input {...title.attrs} value={f.title} onInput={(e) => set({ title: e.currentTarget.value })} />
                {title.message}
              </Field>
              <Field label="Owner" id={owner.attrs.id}>
                <input {...owner.attrs} value={f.owner} onInput={(e) => set({ owner: e.currentTarget.value })} />
                {owner.message}
              </Field>
            </div>
            <Field label="Case data" id={data.attrs.id} hint="A JSON object the case starts with.">
              <textarea {...data.attrs} class="code" rows={4} value={f.data} onInput={(e) => set({ data: e.currentTarget.value })} />
              {data.message}
            </Field>
          </>
        )}
        <div class="field">
          <label>
            <input type="checkbox" {...paused.attrs} checked={f.paused} onChange={(e) => set({ paused: e.currentTarget.checked })} /> Paused
            (launches nothing until resumed; runs missed meanwhile are skipped)
          </label>
          {paused.message}
        </div>
        <NotSaved error={error} beside={(x) => FIELDS.some((field) => isAbout(x, field))} />
        {stale && onReload && (
          <p>
            <button
              type="button"
              onClick={() => {
                setError(null);
                onReload();
              }}
            >
              Reload the schedule
            </button>{' '}
            <span class="hint">What you typed here is replaced by what they saved.</span>
          </p>
        )}
        {saved && (
          <p class="notice" role="status">
            {saved}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {isNew ? 'Create schedule' : 'Save changes'}
        </button>
      </fieldset>
    </form>
  );
}
