// Cases, the minimal part the lifecycle needs: data that outcomes merge into, and an owner who
// receives escalations.

import { NotFoundError } from '../errors.ts';
import type { CaseRow, Store } from '../store/types.ts';
import type { Clock } from '../engine/clock.ts';
import { uuidv7 } from '../ids.ts';
import { checkLaunchLimits } from '../actions/launch-limits.ts';
import type { ActionService } from '../actions/service.ts';
import type { ActionView } from '../actions/views.ts';
import type { CaseBody } from './schemas.ts';
import type { WebhookOutbox } from '../webhooks/outbox.ts';

export interface CaseServiceDeps {
  store: Store;
  clock: Clock;
  actions: ActionService;
}

export class CaseService {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly actions: ActionService;
  /** case.created / case.closed to webhook subscribers; set by the composition root. */
  webhookEvents: Pick<WebhookOutbox, 'emitCase'> | null = null;

  constructor(deps: CaseServiceDeps) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.actions = deps.actions;
  }

  async createCase(body: CaseBody = {}): Promise<CaseRow> {
    // `data` is bounded like a launch's input, the owner like any other launch field.
    checkLaunchLimits(body, ['data']);
    const now = this.clock.now();
    const row: CaseRow = { id: uuidv7(now), data: body.data ?? {}, owner: body.owner ?? null, createdAt: now, updatedAt: now };
    await this.store.insertCase(row);
    await this.webhookEvents?.emitCase('created', { id: row.id, process: null, status: 'open', owner: row.owner });
    return row;
  }

  /** The case with its actions (the newest 500). */
  async getCase(id: string): Promise<CaseRow & { actions: ActionView[] }> {
    const c = await this.store.getCase(id);
    if (!c) throw new NotFoundError('Case', id);
    const actions = await Promise.all((await this.store.listActions({ caseId: id, limit: 500 })).map((a) => this.actions.view(a)));
    return { ...c, actions };
  }
}
