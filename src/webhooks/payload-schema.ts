// What a webhook receiver gets, as OpenAPI 3.1 `webhooks` describe it (one entry per event type): the
// Standard Webhooks headers and the thin `{ type, timestamp, data }` body of events.ts. Documentation
// only; a test checks the payloads events.ts makes against it.

import { Type, type TSchema } from '@sinclair/typebox';
import { PHASES, REASONS, RESOLUTIONS, STATES } from '../lifecycle/states.ts';
import { StringEnum } from '../api/schemas.ts';
import { EVENT_TYPES, MAX_PAYLOAD_BYTES, type EventType } from './events.ts';

const Maybe = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const State = StringEnum(Object.values(STATES));
const Reason = Maybe(StringEnum(Object.values(REASONS)));
const Resolution = Maybe(StringEnum(Object.values(RESOLUTIONS)));
const Time = Type.String({ format: 'date-time' });
const Url = Type.String({ description: 'under CALLOUT_PUBLIC_URL' });
const Sequence = Type.Integer({ minimum: 1, description: '1, 2, 3… per case (or per action without one): a gap is a missed event' });

const ActionData = Type.Object(
  {
    actionId: Type.String(),
    actionType: Maybe(Type.String({ description: "the action type's id; null for a manual task" })),
    caseId: Maybe(Type.String()),
    state: State,
    reason: Reason,
    resolution: Resolution,
    phase: Maybe(StringEnum(Object.values(PHASES))),
    externalReference: Maybe(Type.String({ description: 'cut to 256 characters' })),
    queue: Maybe(Type.String()),
    assignee: Maybe(Type.String()),
    escalated: Type.Boolean(),
    links: Type.Object({ action: Url, timeline: Url, case: Type.Optional(Url) }, { additionalProperties: false }),
    previous: Type.Optional(
      Type.Object(
        {
          state: Type.Optional(State),
          reason: Type.Optional(Reason),
          resolution: Type.Optional(Resolution),
          queue: Type.Optional(Maybe(Type.String())),
          assignee: Type.Optional(Maybe(Type.String())),
        },
        {
          additionalProperties: false,
          description: 'action.state_changed: the state words before; task.assigned: the queue and assignee before',
        },
      ),
    ),
    retryCount: Type.Optional(Type.Integer({ description: 'action.retry_scheduled: the retries so far' })),
    nextRetryAt: Type.Optional(Type.String({ format: 'date-time', description: 'action.retry_scheduled: when it is tried again' })),
    dueAt: Type.Optional(Type.String({ format: 'date-time', description: 'task.overdue: the due time that passed' })),
    sequence: Sequence,
  },
  { additionalProperties: false },
);

const CaseData = Type.Object(
  {
    caseId: Type.String(),
    process: Maybe(Type.String()),
    status: StringEnum(['open', 'closed']),
    owner: Maybe(Type.String()),
    links: Type.Object({ case: Url }, { additionalProperties: false }),
    step: Type.Optional(
      Type.String({
        description:
          "case.stopped: the failed step (onFailure stop) the case stopped at; why it failed is not sent (it may quote case data): the case's stoppedAt.error has it",
      }),
    ),
    sequence: Sequence,
  },
  { additionalProperties: false },
);

/** The body of an event of `type`. */
export const payloadSchema = (type: EventType): TSchema =>
  Type.Object(
    { type: Type.Literal(type), timestamp: Time, data: type.startsWith('case.') ? CaseData : ActionData },
    { additionalProperties: false, description: `at most ${MAX_PAYLOAD_BYTES} bytes` },
  );

const signedHeader = (name: string, description: string) => ({
  name,
  in: 'header',
  required: true,
  schema: { type: 'string' },
  description,
});

/** OpenAPI 3.1 `webhooks`: one POST per event type, as a subscription's URL receives it. */
export function webhooksSection(): Record<string, unknown> {
  return Object.fromEntries(
    EVENT_TYPES.map((type) => [
      type,
      {
        post: {
          summary: `${type}, delivered to each subscription whose events match it`,
          parameters: [
            signedHeader('webhook-id', 'the delivery id: the same on its retries, so a receiver can drop a repeat'),
            signedHeader('webhook-timestamp', 'seconds since 1970, when this attempt was signed'),
            signedHeader(
              'webhook-signature',
              'v1,<base64 HMAC-SHA256 of "id.timestamp.body"> with the subscription secret; two while a rotated secret overlaps',
            ),
          ],
          requestBody: { required: true, content: { 'application/json': { schema: payloadSchema(type) } } },
          responses: { '2XX': { description: 'delivered; anything else (or no answer in time) is retried' } },
        },
      },
    ]),
  );
}
