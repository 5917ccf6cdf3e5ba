// The few Callout facade calls the issue-11 workloads make, in one place: the facade's methods are
// moving (`callout.launchMany` → `callout.actions.launch…`), and each move is then a one-line change here.

import type { Callout } from '../../src/callout.ts';
import type { ActionRecord } from '../../src/lifecycle/action.ts';

export type LaunchItem = { actionType: string; input: Record<string, unknown>; startAt?: number };

export const facade = {
  createConnector: (c: Callout, body: Record<string, unknown>): Promise<unknown> => c.connectors.create(body),
  createActionType: (c: Callout, body: Record<string, unknown>): Promise<unknown> => c.actionTypes.create(body),
  launchMany: (c: Callout, items: LaunchItem[]): Promise<string[]> => c.actions.launchMany(items),
  actionTypeId: async (c: Callout, name: string): Promise<string> => (await c.registry.actionType(name)).compiled.id,
  /** Every committed write of an action, as the engine reports it. */
  onAction: (c: Callout, fn: (a: ActionRecord) => void): void => void c.engine.on('action', (a: ActionRecord) => fn(a)),
  start: (c: Callout): void => c.start(),
};
