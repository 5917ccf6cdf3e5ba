// What a saved view's query may hold, and how many items it matches now: per screen, the filters its
// list route accepts (the work list's GET /v1/actions, the cases list's GET /v1/cases), checked by the
// same schemas, and counted by one bounded COUNT (no rows read, never past VIEW_LIMITS.countUpTo).

import { Type, type TObject } from '@sinclair/typebox';
import { Ajv, type ValidateFunction } from 'ajv';
import { ActionListQuery } from '../actions/schemas.ts';
import { CaseListQuery } from '../cases/schemas.ts';
import { Problems } from '../errors.ts';
import type { CaseFilter, Store } from '../store/types.ts';
import type { Registry } from '../engine/registry.ts';
import { VIEW_LIMITS, type Screen, type ViewCount } from './schemas.ts';
import type { Clock } from '../clock.ts';
import { UnknownName, workFilter, type WorkFilter, type WorkQuery } from '../actions/work-filter.ts';

/** Paging is where a reader is, not what they look at: a view opens at the newest. */
const PAGING = ['before', 'limit'];
const filtersOf = (schema: TObject): TObject => Type.Omit(schema, PAGING, { additionalProperties: false });
/** A query string holds only text: "true" and "false" read as booleans, as the list routes read them. */
const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: false, removeAdditional: false });
const FILTERS: Record<Screen, { check: ValidateFunction; names: string[] }> = {
  work: { check: ajv.compile(filtersOf(ActionListQuery)), names: Object.keys(filtersOf(ActionListQuery).properties) },
  cases: { check: ajv.compile(filtersOf(CaseListQuery)), names: Object.keys(filtersOf(CaseListQuery).properties) },
};

export type Params = Record<string, unknown>;

/**
 * The query as stored (no leading "?", empty values left out, as the pages leave them out) and its
 * filters read as the list route reads them; a 422 naming each filter (`query.state`) at fault.
 */
export function checkQuery(screen: Screen, raw: string): { query: string; params: Params } {
  const p = new Problems();
  const given = new URLSearchParams(raw.startsWith('?') ? raw.slice(1) : raw);
  const kept = new URLSearchParams();
  const params: Params = {};
  const { check, names } = FILTERS[screen];
  for (const [k, v] of given) {
    const field = `query.${k.slice(0, 100)}`;
    if (v === '') continue;
    if (Object.hasOwn(params, k)) p.add(field, 'is given twice: a filter takes one value');
    else if (PAGING.includes(k)) p.add(field, 'is paging, not a filter: a view opens at the newest, so leave it out');
    else if (!names.includes(k)) p.add(field, `is not a filter of the ${screen} list; its filters are ${names.join(', ')}`);
    else {
      params[k] = v;
      kept.append(k, v);
    }
  }
  p.throwIfAny();
  if (!check(params))
    for (const e of check.errors ?? []) {
      const allowed = e.keyword === 'enum' ? (e.params as { allowedValues?: unknown[] }).allowedValues : undefined;
      p.add(
        `query${e.instancePath.replace(/\//g, '.')}`,
        allowed ? `must be one of ${allowed.map(String).join(', ')}` : (e.message ?? 'is invalid'),
      );
    }
  p.throwIfAny();
  return { query: kept.toString(), params };
}

export interface ScreenDeps {
  store: Store;
  /** Now, for `due=overdue`. */
  clock: Clock;
  registry: Pick<Registry, 'actionType' | 'connector' | 'actionTypeIdsOf' | 'refresh'>;
}

/** A filter that names something gone (an action type, a connector): said once, with no count of nothing. */
class Gone extends Error {}

export class Screens {
  constructor(private readonly d: ScreenDeps) {}

  /** The checks a list route makes beyond its schema: an action type or connector the work list is filtered by must exist. */
  async checkNames(screen: Screen, params: Params): Promise<void> {
    if (screen === 'work') await this.actionFilter(params, undefined, () => this.d.registry.refresh());
  }

  /**
   * How many items the view's query matches now, for the user who asks (`assignee=me` is their work),
   * counted up to VIEW_LIMITS.countUpTo. A text search is not counted: it reads every row (a scan).
   * `refresh` reads the action types again (created on another node); a list of views counted together
   * passes one that reads them once for all.
   */
  async count(
    screen: Screen,
    query: string,
    viewer: string,
    refresh: () => Promise<unknown> = () => this.d.registry.refresh(),
  ): Promise<ViewCount> {
    const params = checkQuery(screen, query).params;
    if (params.q !== undefined)
      return { value: null, more: false, note: 'a text search is not counted: it reads every item; open the view to see them' };
    const upTo = VIEW_LIMITS.countUpTo + 1;
    let n: number;
    try {
      n =
        screen === 'work'
          ? await this.d.store.countActionsUpTo(await this.actionFilter(params, viewer, refresh), upTo)
          : await this.d.store.countCasesUpTo(await this.caseFilter(params), upTo);
    } catch (e) {
      if (e instanceof UnknownName) {
        const m = e.missing[0]!;
        return { value: 0, more: false, note: m.message ?? `the ${m.what} ${JSON.stringify(m.ref)} no longer exists` };
      }
      if (e instanceof Gone) return { value: 0, more: false, note: e.message };
      throw e;
    }
    return { value: Math.min(n, VIEW_LIMITS.countUpTo), more: n > VIEW_LIMITS.countUpTo };
  }

  /** The work list's filter (work-filter.ts) as GET /v1/actions reads it: `me` is the user who looks, so a shared "Mine" is everyone's own. */
  private actionFilter(q: Params, viewer: string | undefined, refresh: () => Promise<unknown>): Promise<WorkFilter> {
    return workFilter(q as WorkQuery, {
      registry: this.d.registry,
      queues: this.d.store,
      now: this.d.clock.now(),
      ...(viewer !== undefined ? { viewer } : {}),
      refresh,
      prefix: 'query.',
    });
  }

  private async caseFilter(q: Params): Promise<Omit<CaseFilter, 'limit' | 'before' | 'q' | 'maxBytes'>> {
    const f: Omit<CaseFilter, 'limit' | 'before' | 'q' | 'maxBytes'> = {};
    for (const k of ['status', 'owner', 'queue', 'escalated', 'stopped'] as const) if (q[k] !== undefined) Object.assign(f, { [k]: q[k] });
    if (typeof q.process === 'string') {
      // As GET /v1/cases: no such process, no case runs it.
      const p = await this.d.store.getConfig('process', q.process);
      if (!p) throw new Gone(`no process ${JSON.stringify(q.process)} exists`);
      f.process = p.id;
    }
    return f;
  }
}
