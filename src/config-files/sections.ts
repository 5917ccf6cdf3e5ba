// The work manager's part of a configuration file: users, queues, processes, webhook subscriptions and
// schedules, beside the connectors and action types (service.ts). Each is written as its API takes it,
// naming action types and connectors by name (ids differ between installations), and imported by its
// identity: users, queues, processes and schedules by name, webhook subscriptions by URL. Planning
// writes nothing; the import stores every section's changes in one transaction.

import { isDeepStrictEqual } from 'node:util';
import type { ConfigChange, ConfigRow, Store } from '../store/types.ts';
import type { ScheduleRow } from '../store/bulk-schedule-types.ts';
import type { Registry } from '../engine/registry.ts';
import type { Clock } from '../clock.ts';
import type { UserService } from '../users/service.ts';
import { type QueueService, bodyOf as queueBody } from '../queues/service.ts';
import { type ProcessService, bodyOf as processBody } from '../processes/service.ts';
import type { ProcessDefinition } from '../processes/definition.ts';
import { type WebhookService, settingsOf } from '../webhooks/service.ts';
import { type SubscriptionSettings, validateSubscription } from '../webhooks/subscription.ts';
import type { WebhookSubscriptionRow } from '../webhooks/rows.ts';
import type { LaunchRefs, ScheduleService } from '../schedules/service.ts';
import type { ActionTypes } from '../bulk-launches/ports.ts';
import type { CompiledActionType } from '../action-types/action-type.ts';
import { Problems, ValidationError } from '../errors.ts';
import { schemaProblems } from '../validation/schema-problems.ts';
import { QueueBody } from '../queues/schemas.ts';
import { isObject, type Doc } from '../validation/check.ts';
import { stableJson } from '../ids.ts';

export const SECTIONS = ['users', 'queues', 'processes', 'webhooks', 'schedules'] as const;

/**
 * Entries a file may list per section: checking them holds the node's event loop (20,000 schedules
 * took about 4 s), and a configuration larger than this is not one a person reviews.
 */
export const MAX_SECTION_ENTRIES = 2000;
export const TOO_MANY = `must list at most ${MAX_SECTION_ENTRIES} entries; split the file into several imports`;
export type Section = (typeof SECTIONS)[number];

export interface SectionDeps {
  store: Store;
  registry: Registry;
  users: UserService;
  queues: QueueService;
  processes: ProcessService;
  webhooks: WebhookService;
  schedules: ScheduleService;
  clock: Clock;
  allowPrivateNetworks: boolean;
}

export interface SectionReport {
  created: string[];
  updated: string[];
  unchanged: string[];
}

/** A created subscription's signing secret: shown once, in the import's answer, as POST /v1/webhooks shows it. */
export interface CreatedWebhook {
  id: string;
  url: string;
  secret: string;
}

export type SectionsReport = Record<Section, SectionReport> & { webhookSecrets: CreatedWebhook[] };

/** Ids of connectors, action types and processes to names, so that a file names them as a person would. */
export type NameOf = (id: string) => string;

export async function exportSections(d: SectionDeps, nameOf: NameOf): Promise<Record<Section, Doc[]>> {
  const [users, queues, processes, webhooks, schedules] = await Promise.all([
    d.store.listUsers(),
    d.store.listQueues(),
    d.store.listConfig('process'),
    d.store.listWebhookSubscriptions(),
    d.store.listSchedules(),
  ]);
  return {
    users: users.map((u) => ({
      name: u.name,
      displayName: u.displayName,
      ...(u.email !== null ? { email: u.email } : {}),
      ...(u.disabled ? { disabled: true } : {}),
    })),
    queues: queues.map((q) => {
      const body = queueBody(q);
      const integration = body.integration as Doc | undefined;
      if (!integration) return body;
      // The connector and the actions it launches, by name.
      return { ...body, integration: Object.fromEntries(Object.entries(integration).map(([k, v]) => [k, nameOf(v as string)])) };
    }),
    processes: processes.map((r) => {
      const body = processBody(r.doc as unknown as ProcessDefinition);
      const steps = (body.steps as Doc[]).map((s) => (typeof s.actionType === 'string' ? { ...s, actionType: nameOf(s.actionType) } : s));
      return { ...body, steps };
    }),
    webhooks: webhooks.map((w) => {
      const { url, events, description, enabled, retry } = chosenSettings(w);
      return { url, events, ...(description !== null ? { description } : {}), enabled, ...(retry ? { retry } : {}) };
    }),
    schedules: schedules.map((s) => {
      const launch = s.launch as Doc;
      return {
        name: s.name,
        cron: s.cron,
        timezone: s.timezone,
        // Keys in the order the API takes them, and the launch's own values sorted: PostgreSQL's jsonb
        // keeps keys in an order of its own, and a file should read the same from both stores.
        launch:
          typeof launch.actionType === 'string'
            ? { actionType: nameOf(launch.actionType), ...(launch.input !== undefined ? { input: sortedKeys(launch.input) } : {}) }
            : dropNulls({
                process: nameOf(launch.process as string),
                title: launch.title,
                ...(launch.data !== undefined ? { data: sortedKeys(launch.data) } : {}),
                owner: launch.owner,
              }),
        paused: s.paused,
      };
    }),
  };
}

/** A copy with every object's keys sorted, all the way down. */
const sortedKeys = (v: unknown): unknown => JSON.parse(stableJson(v));

/** A subscription as the file says it: one Callout disabled after failures is not enabled, whatever was chosen. */
const chosenSettings = (w: WebhookSubscriptionRow): SubscriptionSettings => ({
  ...settingsOf(w),
  enabled: w.enabled && w.disabledAt === null,
});

const dropNulls = (o: Doc): Doc => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null));

export interface SectionContext {
  p: Problems;
  /** Whether the caller may create and change users (an admin key, or `callout import`). */
  admin: boolean;
  /** Who schedules created by this import are shown as created by. */
  actor: string;
  /** Action types by name or id, to their id: stored ones and the file's own (ids chosen before they are stored). */
  actionTypeIds: ReadonlyMap<string, string>;
  /** Connectors by name or id, to their id: stored ones and the file's new ones (ids chosen before they are stored). */
  connectorIds: ReadonlyMap<string, string>;
  /** Names and ids of the stored connectors and names of the file's. */
  connectorNames: ReadonlySet<string>;
  /** The file's action types by name and id, compiled; null for one the import refused (its problems are told there). */
  fileActionTypes: ReadonlyMap<string, CompiledActionType | null>;
}

export interface SectionPlan {
  changes: ConfigChange[];
  report: SectionsReport;
}

/** Checks the five sections of `file` against what is stored and plans their writes; problems go to `ctx.p`. */
export async function planSections(d: SectionDeps, file: Doc, ctx: SectionContext): Promise<SectionPlan> {
  const report: SectionsReport = {
    users: { created: [], updated: [], unchanged: [] },
    queues: { created: [], updated: [], unchanged: [] },
    processes: { created: [], updated: [], unchanged: [] },
    webhooks: { created: [], updated: [], unchanged: [] },
    schedules: { created: [], updated: [], unchanged: [] },
    webhookSecrets: [],
  };
  const changes: ConfigChange[] = [];
  const lists = {} as Record<Section, unknown[]>;
  for (const s of SECTIONS) {
    const v = file[s] ?? [];
    if (!Array.isArray(v)) ctx.p.add(s, 'must be a list');
    else if (v.length > MAX_SECTION_ENTRIES) ctx.p.add(s, TOO_MANY);
    lists[s] = Array.isArray(v) && v.length <= MAX_SECTION_ENTRIES ? v : [];
  }
  for (const s of ['users', 'processes', 'schedules'] as const) refuseRepeated(lists[s], s, 'name', ctx.p);
  refuseRepeated(lists.webhooks, 'webhooks', 'url', ctx.p, normalUrl);
  const { p } = ctx;
  const track = (section: Section, change: ConfigChange | 'unchanged', key: string): void => {
    if (change === 'unchanged') return void report[section].unchanged.push(key);
    changes.push(change);
    report[section][change.expectedRevision === null ? 'created' : 'updated'].push(key);
  };

  // Users first: queues name their members.
  const storedUsers = new Map((await d.store.listUsers()).map((u) => [u.name, u]));
  for (const [i, u] of lists.users.entries()) {
    const at = `users[${i}]`;
    const change = await checked(p, at, () => {
      if (!isObject(u)) throw new ValidationError([{ field: '', message: 'must be an object with a name' }]);
      const { disabled = false, ...body } = u;
      if (typeof disabled !== 'boolean') throw new ValidationError([{ field: 'disabled', message: 'must be true or false' }]);
      // The checks of a new user, unknown fields included, whether or not it is one.
      const fresh = d.users.newRow(body, disabled);
      const cur = storedUsers.get(fresh.name);
      if (!cur) return { kind: 'user', row: fresh, expectedRevision: null } as const;
      const row = d.users.changedRow(cur, { displayName: fresh.displayName, email: fresh.email, disabled });
      if (row.displayName === cur.displayName && row.email === cur.email && row.disabled === cur.disabled) return 'unchanged' as const;
      return { kind: 'user', row, expectedRevision: cur.updatedAt } as const;
    });
    if (change === undefined) continue;
    // Users are the admin's: a builder's file may carry them unchanged (its own export does), not change them.
    if (change !== 'unchanged' && !ctx.admin) {
      p.add(at, 'creating or changing a user takes an admin key (or `npx callout import`); leave this user out of the file, or as it is');
      continue;
    }
    track('users', change, change === 'unchanged' ? ((u as Doc).name as string) : change.row.name);
  }

  const userNames = new Set([
    ...storedUsers.keys(),
    ...lists.users.flatMap((u) => (isObject(u) && typeof u.name === 'string' ? [u.name] : [])),
  ]);
  const storedQueues = new Map((await d.store.listQueues()).map((q) => [q.name, q]));
  // Queue names are unique ignoring case: "HR" after "hr" is the same queue given twice; but lookalikes
  // stored before the rule (migration 018 keeps them) are each their own queue, as their export names them.
  const queueKey = (v: unknown): string => (storedQueues.has(String(v)) ? `=${String(v)}` : String(v).toLowerCase());
  refuseRepeated(lists.queues, 'queues', 'name', p, queueKey);
  // The stored queue each folded name belongs to (the oldest, when an older store holds lookalikes).
  const foldedQueues = new Map<string, string>();
  for (const q of [...storedQueues.values()].sort((a, b) => a.createdAt - b.createdAt))
    if (!foldedQueues.has(q.name.toLowerCase())) foldedQueues.set(q.name.toLowerCase(), q.name);
  // An integration names its connector and actions by id or by name (the export writes names); stored by id either way.
  const configId = (kind: 'connector' | 'actionType', ref: string): string | undefined =>
    kind === 'actionType'
      ? ctx.actionTypeIds.get(ref)
      : // A connector of the file that the import refused has no id; its problems are told there.
        (ctx.connectorIds.get(ref) ?? (ctx.connectorNames.has(ref) ? ref : undefined));
  for (const [i, q] of lists.queues.entries()) {
    const change = await checked(p, `queues[${i}]`, () => {
      // The route's own schema first (an integration names every action), then the queue's checks.
      const shape = new Problems();
      schemaProblems(QueueBody, q, shape);
      shape.throwIfAny();
      const cur = isObject(q) ? storedQueues.get(q.name as string) : undefined;
      const lookalike = !cur && isObject(q) ? foldedQueues.get((q.name as string).toLowerCase()) : undefined;
      if (lookalike !== undefined)
        throw new ValidationError([
          { field: 'name', message: `is taken by the queue ${JSON.stringify(lookalike)} (names differ only in case); use that name` },
        ]);
      const row = d.queues.rowOf(q, { userExists: (n) => userNames.has(n), configId }, cur);
      if (cur && isDeepStrictEqual(row.doc, cur.doc)) return 'unchanged' as const;
      return { kind: 'queue', row, expectedRevision: cur ? cur.revision : null } as const;
    });
    if (change !== undefined) track('queues', change, (q as Doc).name as string);
  }

  const actionType = (ref: string): string | undefined => ctx.actionTypeIds.get(ref);
  const storedProcesses = new Map((await d.store.listConfig('process')).map((r) => [r.name, r]));
  for (const [i, x] of lists.processes.entries()) {
    const change = await checked(p, `processes[${i}]`, () => {
      const cur: ConfigRow | undefined = isObject(x) ? storedProcesses.get(x.name as string) : undefined;
      const row = d.processes.rowOf(x, { actionType }, cur);
      if (cur && isDeepStrictEqual(row.doc, cur.doc)) return 'unchanged' as const;
      return { kind: 'process', row, expectedRevision: cur ? cur.revision : null } as const;
    });
    if (change !== undefined) track('processes', change, (x as Doc).name as string);
  }

  const byUrl = new Map<string, WebhookSubscriptionRow[]>();
  for (const w of await d.store.listWebhookSubscriptions()) byUrl.set(w.url, [...(byUrl.get(w.url) ?? []), w]);
  for (const [i, w] of lists.webhooks.entries()) {
    const at = `webhooks[${i}]`;
    const change = await checked(p, at, () => {
      const settings = validateSubscription(w, d);
      const matches = byUrl.get(settings.url) ?? [];
      if (matches.length > 1)
        throw new ValidationError([
          {
            field: 'url',
            message: `${matches.length} subscriptions send to this URL, so the file cannot say which it means; change them through /v1/webhooks`,
          },
        ]);
      const cur = matches[0];
      if (!cur) {
        const { row, secret } = d.webhooks.newRow(w);
        report.webhookSecrets.push({ id: row.id, url: row.url, secret });
        return { kind: 'webhook', row, expectedRevision: null } as const;
      }
      if (isDeepStrictEqual(settings, chosenSettings(cur))) return 'unchanged' as const;
      // The file says the whole subscription: an absent description (or retry policy) is none.
      const next = d.webhooks.changedRow(cur, { ...settings, retry: settings.retry ?? null });
      return {
        kind: 'webhook',
        row: { ...next, revision: cur.revision + 1, updatedAt: d.clock.now() },
        expectedRevision: cur.revision,
      } as const;
    });
    if (change !== undefined) track('webhooks', change, change === 'unchanged' ? normalUrl((w as Doc).url) : change.row.url);
  }

  // A schedule's launch is checked against what the file leaves: its action type, process and owner
  // (users as the file sets them, the keys read once), the file's own included.
  const types: ActionTypes = {
    actionType: async (ref) => {
      const own = ctx.fileActionTypes.get(ref);
      // A refused action type of the file: its problems are told there, not again here.
      if (own === null) throw new ValidationError([]);
      return own ? { compiled: own } : d.registry.actionType(ref);
    },
  };
  const fileUsers = new Map(
    lists.users.flatMap((u) => (isObject(u) && typeof u.name === 'string' ? [[u.name, u.disabled === true] as const] : [])),
  );
  // By id, as a schedule stores it: the file's own processes by the ids their rows get (new ones too).
  const processIds = new Map([...storedProcesses.values()].flatMap((r) => [[r.name, r.id] as const, [r.id, r.id] as const]));
  for (const c of changes) if (c.kind === 'process') processIds.set(c.row.name, c.row.id);
  // A process of the file refused above: its problems are told there, and nothing is imported.
  for (const x of lists.processes) if (isObject(x) && typeof x.name === 'string' && !processIds.has(x.name)) processIds.set(x.name, x.name);
  let keys: ReturnType<typeof d.store.listApiKeys> | undefined;
  const refs: LaunchRefs = {
    actionTypes: types,
    processId: async (ref) => processIds.get(ref),
    owners: {
      user: async (name) => (fileUsers.has(name) ? { disabled: fileUsers.get(name)! } : storedUsers.get(name)),
      keys: () => (keys ??= d.store.listApiKeys()),
    },
  };
  const storedSchedules = new Map((await d.store.listSchedules()).map((s) => [s.name, s]));
  for (const [i, s] of lists.schedules.entries()) {
    const change = await checked(p, `schedules[${i}]`, async () => {
      const cur: ScheduleRow | undefined = isObject(s) ? storedSchedules.get(s.name as string) : undefined;
      if (!cur) return { kind: 'schedule', row: await d.schedules.newRow(s, ctx.actor, refs), expectedRevision: null } as const;
      const row = await d.schedules.changedRow(cur, s, refs);
      // Compared as values: PostgreSQL's jsonb gives the launch's keys back in its own order.
      const chosen = (r: ScheduleRow): unknown[] => [r.name, r.cron, r.timezone, r.launch, r.paused];
      if (isDeepStrictEqual(chosen(row), chosen(cur))) return 'unchanged' as const;
      return { kind: 'schedule', row, expectedRevision: cur.version } as const;
    });
    if (change !== undefined) track('schedules', change, (s as Doc).name as string);
  }
  return { changes, report };
}

/** Runs `fn`; the problems of a ValidationError it throws go to `p` under `at`, and the answer is undefined. */
async function checked<T>(p: Problems, at: string, fn: () => T | Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    for (const x of e.errors ?? []) p.add(x.field ? `${at}.${x.field}` : at, x.message);
    return undefined;
  }
}

/** A URL as subscriptions store it (parsed), or the text as it is when it does not parse. */
function normalUrl(v: unknown): string {
  try {
    return new URL(String(v)).href;
  } catch {
    return String(v);
  }
}

/** An identity given twice would pass the checks and fail on the second write: refused up front. */
export function refuseRepeated(items: unknown[], list: string, key: string, p: Problems, normal: (v: unknown) => string = String): void {
  const first = new Map<string, number>();
  for (const [i, x] of items.entries()) {
    if (!isObject(x) || typeof x[key] !== 'string') continue;
    const k = normal(x[key]);
    const j = first.get(k);
    if (j === undefined) first.set(k, i);
    else p.add(`${list}[${i}].${key}`, `${x[key] as string} is already in this file as ${list}[${j}]`);
  }
}
