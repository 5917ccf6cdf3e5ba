// The case page's history (GET /v1/cases/{id}/history): what happened to the case, by whom and when,
// newest first, in an operator's words; More reads older entries. Read again as the case changes.

import { useEffect } from 'preact/hooks';
import { actorText } from '../api.ts';
import { ErrorBox, Time } from '../components.tsx';
import { MoreButton, usePagedList } from '../paged-list.tsx';

export interface CaseHistoryEntry {
  seq: number;
  at: string;
  kind: string;
  step: string | null;
  actor: string;
  detail: Record<string, unknown>;
}

const OUTCOMES: Record<string, string> = {
  ACTION_HANDLED_SUCCESSFUL: 'handled successfully',
  ACTION_HANDLED_FAILED: 'handled, failed',
  QUEUE_ACTION_SUCCESSFUL: 'queued, not waited for',
};

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const orNone = (v: unknown): string => str(v) ?? 'none';

/** The changed data fields by name ("amount, total and 3 more"); values are never in the history. */
function fieldsText(d: Record<string, unknown>): string {
  const fields = Array.isArray(d.fields) ? d.fields.filter((f): f is string => typeof f === 'string') : [];
  const more = typeof d.more === 'number' && d.more > 0 ? ` and ${d.more} more` : '';
  return fields.join(', ') + more;
}

/** What the entry says, after who did it ("olga" / "Callout"). */
export function historyText(e: CaseHistoryEntry): string {
  const d = e.detail;
  const step = `step ${e.step ?? ''}`;
  switch (e.kind) {
    case 'case_created':
      return str(d.process) ? `created the case (process ${str(d.process)})` : 'created the case';
    case 'step_started':
      return d.from === 'failed' ? `started ${step} again (its action was retried)` : `started ${step}`;
    case 'step_waiting':
      return `handed ${step} to a person${str(d.error) ? `: ${str(d.error)}` : ''}`;
    case 'step_done': {
      const outcome = str(d.outcome) ? ` (${OUTCOMES[str(d.outcome)!] ?? str(d.outcome)})` : '';
      const fields = fieldsText(d);
      return `finished ${step}${outcome}${fields ? `, setting ${fields}` : ''}`;
    }
    case 'step_failed':
      return `marked ${step} failed${str(d.error) ? `: ${str(d.error)}` : ''}`;
    case 'step_skipped':
      if (d.when === false) return `skipped ${step}: its condition (when) was false`;
      return `skipped ${step}${str(d.note) ? `: “${str(d.note)}”` : ' (no note)'}`;
    case 'step_retried':
      return `retried ${step}${typeof d.count === 'number' ? ` (retry ${d.count})` : ''}`;
    case 'case_escalated':
      return e.step ? `escalated the case (${step})` : 'escalated the case';
    case 'case_closed':
      return d.by === 'process' ? 'closed the case: its process finished' : 'closed the case';
    case 'data_changed':
      return `changed the data: ${fieldsText(d)}`;
    case 'owner_changed':
      return `changed the owner from ${orNone(d.from)} to ${orNone(d.to)}`;
    case 'queue_changed':
      return `changed the queue from ${orNone(d.from)} to ${orNone(d.to)}`;
    case 'title_changed':
      return `changed the title from ${orNone(d.from)} to ${orNone(d.to)}`;
    default:
      return e.kind.replace(/_/g, ' ');
  }
}

/** `changed`: the case's updatedAt; a new one reads the history again (as many pages as shown). */
export function CaseHistory({ caseId, changed }: { caseId: string; changed: string }) {
  const list = usePagedList<CaseHistoryEntry>(`/v1/cases/${encodeURIComponent(caseId)}/history?limit=20`, (e) => e.seq);
  useEffect(() => {
    if (list.data) list.reload();
  }, [changed]);
  return (
    <section aria-labelledby="case-history">
      <h2 id="case-history">History</h2>
      <ErrorBox error={list.error} />
      {list.data && list.data.items.length === 0 && <p class="empty">Nothing has happened yet.</p>}
      {list.data && list.data.items.length > 0 && (
        <ul class="timeline" data-testid="case-history">
          {list.data.items.map((e) => (
            <li key={e.seq} data-kind={e.kind}>
              <Time iso={e.at} exact /> <strong>{actorText(e.actor)}</strong> <bdi>{historyText(e)}</bdi>
            </li>
          ))}
        </ul>
      )}
      <MoreButton list={list} label="More history" />
    </section>
  );
}
