// A queue's integration with an external service provider (SPEC 7 and 10.1): which connector it
// talks through and which action types it launches. Schema for the queue routes, and its checks.

import { Type, type Static } from '@sinclair/typebox';
import { Problems } from '../errors.ts';

const name = (description: string) => Type.String({ minLength: 1, maxLength: 200, description });

export const QueueIntegrationBody = Type.Object(
  {
    connector: name('connector id or name; its inboundSecret signs requests addressed by reference'),
    onAssign: name("action type launched when a task is assigned to the queue ('Submit Request')"),
    onUpdate: Type.Optional(Type.Union([name("action type launched for an update note ('Update')"), Type.Null()])),
    onClose: Type.Optional(Type.Union([name("action type launched when the task is closed ('Closed')"), Type.Null()])),
    onResolutionRejected: Type.Optional(
      Type.Union([name("action type launched when a handed-back solution is declined ('Resolution Rejection')"), Type.Null()]),
    ),
  },
  { additionalProperties: false },
);
export type QueueIntegrationBody = Static<typeof QueueIntegrationBody>;

/**
 * The compiled integration. Only `onAssign` is required: a provider without an update, closure or
 * rejection API is common, and then that exchange simply does not happen. The references are ids
 * once resolved (as processes and schedules keep them), so renaming the connector or an action type
 * does not break the queue; a file names them by name (src/config-files/sections.ts).
 */
export interface QueueIntegration {
  readonly connector: string;
  readonly onAssign: string;
  readonly onUpdate: string | null;
  readonly onClose: string | null;
  readonly onResolutionRejected: string | null;
}

const KEYS = ['connector', 'onAssign', 'onUpdate', 'onClose', 'onResolutionRejected'] as const;
const REQUIRED = new Set<string>(['connector', 'onAssign']);

/**
 * Checks an `integration` object, naming fields under `prefix`. `idOf(kind, ref)` gives the id of
 * the connector or action type `ref` (an id or a name) names, undefined when there is none (the
 * caller looks it up); what names nothing is refused, the rest stored by id.
 */
export function compileIntegration(
  body: unknown,
  idOf: (kind: 'connector' | 'actionType', ref: string) => string | undefined,
  prefix = 'integration',
): QueueIntegration {
  const p = new Problems();
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    p.add(prefix, 'must be an object');
    p.throwIfAny();
  }
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) if (!(KEYS as readonly string[]).includes(k)) p.add(`${prefix}.${k}`, 'is not a known field');
  const out: Record<string, string | null> = {};
  for (const k of KEYS) {
    const v = b[k];
    if (v === undefined || v === null) {
      if (REQUIRED.has(k)) p.add(`${prefix}.${k}`, 'is required');
      out[k] = null;
      continue;
    }
    if (typeof v !== 'string' || v.length === 0 || v.length > 200) {
      p.add(`${prefix}.${k}`, 'must be a name of 1 to 200 characters');
      continue;
    }
    const id = idOf(k === 'connector' ? 'connector' : 'actionType', v);
    if (id === undefined) p.add(`${prefix}.${k}`, `${k === 'connector' ? 'connector' : 'action type'} ${JSON.stringify(v)} does not exist`);
    else out[k] = id;
  }
  p.throwIfAny();
  return Object.freeze({
    connector: out.connector!,
    onAssign: out.onAssign!,
    onUpdate: out.onUpdate ?? null,
    onClose: out.onClose ?? null,
    onResolutionRejected: out.onResolutionRejected ?? null,
  });
}

/** POST /v1/actions/{id}/decline-solution: why the provider's solution is not accepted (sent to it as `Note`). */
export const DeclineSolutionBody = Type.Object(
  {
    note: Type.String({
      minLength: 1,
      maxLength: 10_000,
      description:
        "the reason: kept on the task's timeline, and sent to the provider as Note when the queue's rejection action type has that field",
    }),
  },
  { additionalProperties: false },
);
export type DeclineSolutionBody = Static<typeof DeclineSolutionBody>;
