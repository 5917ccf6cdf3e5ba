// The queue editor's model: a queue as the API gives it, the form it is edited in, and the body the
// form sends (POST /v1/queues, PATCH /v1/queues/{name}). An integration names its connector and
// action types by id or by name (SPEC 7); the form keeps the stored reference until one is chosen.

export interface QueueIntegration {
  connector: string;
  onAssign: string | null;
  onUpdate: string | null;
  onClose: string | null;
  onResolutionRejected: string | null;
}

export interface Queue {
  name: string;
  description: string | null;
  members: string[];
  allocation: string;
  integration: QueueIntegration | null;
  revision: number;
}

/** What a choice of connector or action type is offered from (GET /v1/connectors, GET /v1/action-types). */
export interface Named {
  id: string;
  name: string;
  /** An action type's connector id. */
  connector?: string;
}

export const ALLOCATIONS: Record<string, string> = {
  none: 'None: tasks wait for someone to pick them up',
  round_robin: 'Round robin among the members',
  least_loaded: 'The member with the fewest open tasks',
  owner: "The case's owner",
};

/** The action types an integrated queue launches, in SPEC 7's order, with their words. */
export const INTEGRATION_ACTIONS = [
  { key: 'onAssign', label: 'New assignment', hint: "Launched when a task is assigned to the queue ('Submit Request'). Required." },
  { key: 'onUpdate', label: 'Update', hint: "Launched for an update note on the task ('Update')." },
  { key: 'onClose', label: 'Closure', hint: "Launched when the task is closed ('Closed')." },
  {
    key: 'onResolutionRejected',
    label: 'Resolution rejection',
    hint: "Launched when a solution the provider handed back is declined ('Resolution Rejection').",
  },
] as const;
export type IntegrationAction = (typeof INTEGRATION_ACTIONS)[number]['key'];

/** Whether the API's `problem` is about the form's `field`: the field itself, or an item of it (`members[2]`). */
export const isAbout = (problem: string, field: string): boolean => problem === field || problem.startsWith(`${field}[`);

export interface Form {
  name: string;
  description: string;
  members: string;
  allocation: string;
  /** Empty: not integrated. */
  connector: string;
  actions: Record<IntegrationAction, string>;
}

export const membersOf = (text: string): string[] =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

export function formOf(q: Queue | undefined): Form {
  const i = q?.integration;
  return {
    name: q?.name ?? '',
    description: q?.description ?? '',
    members: (q?.members ?? []).join(', '),
    allocation: q?.allocation ?? 'none',
    connector: i?.connector ?? '',
    actions: {
      onAssign: i?.onAssign ?? '',
      onUpdate: i?.onUpdate ?? '',
      onClose: i?.onClose ?? '',
      onResolutionRejected: i?.onResolutionRejected ?? '',
    },
  };
}

/**
 * The body to send: the whole queue but its name when editing. An emptied description box and a
 * queue no longer integrated are sent as null, which removes them (a PATCH keeps what it leaves out).
 */
export function bodyOf(f: Form, isNew: boolean): Record<string, unknown> {
  const removed = isNew ? undefined : null;
  const integration = f.connector
    ? {
        connector: f.connector,
        onAssign: f.actions.onAssign,
        onUpdate: f.actions.onUpdate || null,
        onClose: f.actions.onClose || null,
        onResolutionRejected: f.actions.onResolutionRejected || null,
      }
    : removed;
  return {
    ...(isNew ? { name: f.name } : {}),
    description: f.description.trim() ? f.description : removed,
    members: membersOf(f.members),
    allocation: f.allocation,
    integration,
  };
}

/** The connector or action type a stored reference (id or name) names, when it exists. */
export const find = (items: readonly Named[] | undefined, ref: string): Named | undefined =>
  ref ? items?.find((x) => x.id === ref || x.name === ref) : undefined;

/** A reference as people read it: the name it resolves to, else as stored. */
export const nameOf = (items: readonly Named[] | undefined, ref: string): string => find(items, ref)?.name ?? ref;

/**
 * A form after choosing another connector: the action types chosen on another connector are
 * cleared (an integration launches its own connector's). "Not integrated" keeps them, should the
 * choice be undone before saving.
 */
export function withConnector(f: Form, connector: string, actionTypes: readonly Named[] | undefined): Form {
  if (!connector) return { ...f, connector };
  const actions = { ...f.actions };
  for (const { key } of INTEGRATION_ACTIONS) if (find(actionTypes, actions[key])?.connector !== connector) actions[key] = '';
  return { ...f, connector, actions };
}
