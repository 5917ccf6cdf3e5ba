// A case's history: what happened to it, by whom and when, as the action timeline is for an action.
// Entries are derived here, purely, from a change (the case run before and after an event, or a
// PATCH's fields, a create, a close) and written in the transaction of that change. Case-level only:
// each attempt of a step's action is on the action's own timeline, so a case's history grows with
// what happens to the case, not with its actions' retries.

import type { Actor } from '../lifecycle/states.ts';
import type { CaseEvent, CaseRun, StepRun, StepStatus } from './runner.ts';

export const CASE_HISTORY_KINDS = [
  'case_created',
  'step_started',
  'step_waiting',
  'step_done',
  'step_failed',
  'step_skipped',
  'step_retried',
  'case_escalated',
  'case_closed',
  'data_changed',
  'owner_changed',
  'queue_changed',
  'title_changed',
] as const;
export type CaseHistoryKind = (typeof CASE_HISTORY_KINDS)[number];

/** One entry as written: the store gives it its case and its place (seq). */
export interface NewCaseHistoryEntry {
  at: number;
  kind: CaseHistoryKind;
  /** The step it is about; null for the case as a whole. */
  step: string | null;
  /** `system` (Callout itself, the process moving on) or `user:<name>` (a person or an integration key, as userOf names it). */
  actor: Actor;
  /** Small and bounded: statuses, a cut error text, a note, field names (never case data values). */
  detail: Record<string, unknown>;
}

/** The longest error text or note an entry keeps, in characters: enough to say why, never a whole body. */
export const HISTORY_TEXT_MAX = 500;
/** The most field names a data change lists; past it, `more` says how many others changed. */
export const HISTORY_FIELDS_MAX = 50;
/** A field name longer than this is cut: names come from callers' data. */
const FIELD_NAME_MAX = 100;
/** The newest entries of a case that are kept: a client PATCHing a case in a loop must not grow it forever. */
export const CASE_HISTORY_KEPT = 5000;

/** A text cut to `max` characters, saying so. */
export function cut(text: string, max = HISTORY_TEXT_MAX): string {
  if (text.length <= max) return text;
  // Whole characters: half an emoji left at the end is a lone surrogate, which PostgreSQL stores as U+FFFD.
  const end = /[\ud800-\udbff]/.test(text[max - 2] ?? '') ? max - 2 : max - 1;
  return `${text.slice(0, end)}…`;
}

/** The names of changed fields, bounded in number and length. */
export function fieldNames(names: readonly string[]): { fields: string[]; more?: number } {
  const fields = names.slice(0, HISTORY_FIELDS_MAX).map((n) => cut(n, FIELD_NAME_MAX));
  return names.length > HISTORY_FIELDS_MAX ? { fields, more: names.length - HISTORY_FIELDS_MAX } : { fields };
}

/** Who caused an event: the operator of a command, the person who completed a task; else Callout. */
function actorOf(event: CaseEvent): Actor {
  switch (event.type) {
    case 'step_retried':
    case 'step_skipped':
    case 'step_completed':
      return `user:${event.user}`;
    default:
      return 'system';
  }
}

/**
 * The entries of one event the runner applied: `before` and `after` are the case run around it. An
 * event that changed nothing (a repeat of a keyed retry or skip, a replay) gives none.
 */
export function historyOfEvent(before: CaseRun, after: CaseRun, event: CaseEvent, at: number): NewCaseHistoryEntry[] {
  const out: NewCaseHistoryEntry[] = [];
  const actor = actorOf(event);
  const add = (kind: CaseHistoryKind, step: string | null, detail: Record<string, unknown> = {}, by: Actor = 'system'): void => {
    out.push({ at, kind, step, actor: by, detail });
  };
  for (let i = 0; i < after.steps.length; i++) {
    const now = after.steps[i]!;
    const was = before.steps.find((s) => s.name === now.name);
    if (!was) continue;
    let from: StepStatus = was.status;
    const commanded = (event.type === 'step_retried' || event.type === 'step_skipped') && event.step === now.name;
    if (commanded && event.type === 'step_retried' && (now.retried?.count ?? 0) > (was.retried?.count ?? 0)) {
      add('step_retried', now.name, { count: now.retried!.count }, actor);
      // The retry set it pending and ran it from there: what follows is its new run.
      from = 'pending';
    }
    if (commanded && event.type === 'step_skipped' && now.skipped && now.skipped !== was.skipped && was.status !== 'skipped') {
      add('step_skipped', now.name, { from: was.status, note: now.skipped.note === null ? null : cut(now.skipped.note) }, actor);
      continue;
    }
    const by: Actor = event.type === 'step_completed' && event.step === now.name ? actor : 'system';
    const moved = stepMoved(from, now, was);
    if (moved) add(moved.kind, now.name, moved.detail, by);
  }
  if (after.escalated && !before.escalated) add('case_escalated', stepOfEvent(event));
  if (after.status === 'closed' && before.status !== 'closed') add('case_closed', null, { by: 'process' });
  return out;
}

function stepOfEvent(event: CaseEvent): string | null {
  return event.type === 'case_started' ? null : event.step || null;
}

/** A step's change of status in words of the history; undefined when it did not move. */
function stepMoved(from: StepStatus, now: StepRun, was: StepRun): { kind: CaseHistoryKind; detail: Record<string, unknown> } | undefined {
  if (from === now.status) return undefined;
  const error = now.error === null ? null : cut(now.error);
  switch (now.status) {
    case 'running':
      return { kind: 'step_started', detail: { from } };
    case 'waiting_for_person':
      return { kind: 'step_waiting', detail: { from, ...(error !== null ? { error } : {}) } };
    case 'done': {
      // A map step's merge: the case data fields it set, by name.
      const fields = now.kind === 'map' && isRecord(now.output) && now.output !== was.output ? fieldNames(Object.keys(now.output)) : {};
      return { kind: 'step_done', detail: { from, ...(now.outcome !== null ? { outcome: now.outcome } : {}), ...fields } };
    }
    case 'failed':
      return { kind: 'step_failed', detail: { from, error } };
    case 'skipped':
      // Not an operator's (handled above): its `when` was false.
      return { kind: 'step_skipped', detail: { from, when: false } };
    case 'pending':
      return undefined;
    default:
      return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What a PATCH of a case changed, as entries: field names of data (values differ), owner, queue, title. */
export function historyOfPatch(
  before: { data: Record<string, unknown>; owner: string | null; queue: string | null; title: string | null },
  patch: { data?: Record<string, unknown>; owner?: string | null; queue?: string | null; title?: string | null },
  actor: Actor,
  at: number,
): NewCaseHistoryEntry[] {
  const out: NewCaseHistoryEntry[] = [];
  const add = (kind: CaseHistoryKind, detail: Record<string, unknown>): void => {
    out.push({ at, kind, step: null, actor, detail });
  };
  if (patch.data !== undefined) {
    const changed = Object.keys(patch.data).filter(
      (k) => !Object.prototype.hasOwnProperty.call(before.data, k) || !sameJson(before.data[k], patch.data![k]),
    );
    if (changed.length > 0) add('data_changed', fieldNames(changed));
  }
  if (patch.owner !== undefined && patch.owner !== before.owner) add('owner_changed', { from: before.owner, to: patch.owner });
  if (patch.queue !== undefined && patch.queue !== before.queue) add('queue_changed', { from: before.queue, to: patch.queue });
  if (patch.title !== undefined && patch.title !== before.title)
    add('title_changed', {
      from: before.title === null ? null : cut(before.title, 200),
      to: patch.title === null ? null : cut(patch.title, 200),
    });
  return out;
}

/**
 * The same JSON whatever its objects' key order: PostgreSQL's jsonb reads a stored object back with
 * its keys reordered, so the same PATCH sent again would read as a change there (not on SQLite).
 */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((v, i) => sameJson(v, (b as unknown[])[i]));
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((k) => Object.prototype.hasOwnProperty.call(y, k) && sameJson(x[k], y[k]));
}
