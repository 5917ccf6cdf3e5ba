// Route schemas for /v1/processes (TypeBox): request validation and the OpenAPI document. The
// domain check (definition.ts) adds what a schema cannot say: unique names, earlier map steps,
// expression syntax.

import { Kind, type Static, type TSchema, Type, TypeRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { MAX_STEPS } from './definition.ts';
import { DateTime } from '../api/schemas.ts';

const StepName = Type.String({
  pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$',
  description: 'unique in the process; expressions use steps.<name>',
});
const Expression = (description: string) => Type.String({ minLength: 1, maxLength: 10_000, description });
// Optional fields take null as absent too: a step read from GET (which gives them as null) saves back unchanged.
const OrNull = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));
const When = OrNull(Expression('JSONata condition over { case, steps }; false skips the step; null or absent: always'));
// No `default` keywords in the steps: they sit in an if/then, where Ajv's strict mode refuses them;
// the defaults are the domain's (definition.ts).
const OnFailure = Type.Optional(
  Type.Union([Type.Literal('stop'), Type.Literal('continue')], {
    description: 'stop (the default): the case waits at this step; continue: it goes on',
  }),
);
const Title = OrNull(Type.String({ maxLength: 500 }));

export const ManualStepBody = Type.Object(
  {
    name: StepName,
    kind: Type.Literal('manual'),
    title: Title,
    queue: OrNull(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: "queue id or name; absent or null: the task goes to the case's own queue (none when the case has none)",
      }),
    ),
    due: OrNull(
      Type.Union([Type.String({ maxLength: 64 }), Type.Number({ minimum: 0 })], {
        description:
          'how long after its creation the task is due: a duration such as "4h" or "2d" (or milliseconds); absent or null: no due time',
      }),
    ),
    when: When,
    onFailure: OnFailure,
  },
  { additionalProperties: false },
);

export const ExternalStepBody = Type.Object(
  {
    name: StepName,
    kind: Type.Literal('external'),
    title: Title,
    actionType: Type.String({ minLength: 1, maxLength: 200, description: 'action type id or name' }),
    input: OrNull(Expression("JSONata over { case, steps } yielding the action's input object")),
    useBodyOf: OrNull(Type.String({ description: 'an earlier map step whose result is the input' })),
    waitForResponse: Type.Optional(Type.Boolean({ description: 'true (the default): the case waits for the outcome' })),
    when: When,
    onFailure: OnFailure,
  },
  { additionalProperties: false },
);

export const MapStepBody = Type.Object(
  {
    name: StepName,
    kind: Type.Literal('map'),
    title: Title,
    expression: Expression('JSONata over { case, steps } yielding an object merged into case data'),
    when: When,
    onFailure: OnFailure,
  },
  { additionalProperties: false },
);

/**
 * A step of the kind it names: `if kind is X then X's shape`, not a union, so a mistake is reported
 * against the one shape the step chose (a union reports it against all three: noise, and wrong).
 */
const byKind = (kind: string, shape: object) => ({ if: { properties: { kind: { const: kind } }, required: ['kind'] }, then: shape });
const SHAPES: Record<string, TSchema> = { manual: ManualStepBody, external: ExternalStepBody, map: MapStepBody };
// TypeBox's own checks (Value.Check) know no if/then: this kind gives them the same rule.
TypeRegistry.Set('CalloutProcessStep', (_schema, value) => {
  const kind = (value as { kind?: unknown } | null)?.kind;
  return typeof kind === 'string' && Object.hasOwn(SHAPES, kind) && Value.Check(SHAPES[kind]!, value);
});
export const ProcessStepBody = Type.Unsafe<Static<typeof ManualStepBody> | Static<typeof ExternalStepBody> | Static<typeof MapStepBody>>({
  [Kind]: 'CalloutProcessStep',
  type: 'object',
  required: ['name', 'kind'],
  properties: { kind: { type: 'string', enum: ['manual', 'external', 'map'], description: 'manual, external or map' } },
  allOf: [byKind('manual', ManualStepBody), byKind('external', ExternalStepBody), byKind('map', MapStepBody)],
});

export const ProcessBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    description: OrNull(Type.String({ maxLength: 2000 })),
    steps: Type.Array(ProcessStepBody, { minItems: 1, maxItems: MAX_STEPS }),
  },
  { additionalProperties: false },
);
export type ProcessBody = Static<typeof ProcessBody>;

/** A process as the API gives it: its steps as stored (resolved ids; settings not given are null). */
export const ProcessViewSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    steps: Type.Array(
      Type.Object(
        { name: Type.String(), kind: Type.Union([Type.Literal('manual'), Type.Literal('external'), Type.Literal('map')]) },
        { additionalProperties: true, description: "the step's settings, as in the body" },
      ),
    ),
    revision: Type.Integer({ minimum: 1 }),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { additionalProperties: false },
);
