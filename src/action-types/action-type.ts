// An action type: one kind of call on a connector. Validation of what a builder sends (naming the
// field and, for templates, the position), the stored document, the compiled runtime form and the
// API view.

import { expressionShapeProblem } from '../expression-limits.ts';
import { MAX_FIELDS } from '../templates/fields.ts';
import { Problems, ValidationError } from '../errors.ts';
import { type Doc, NAME_HINT, NAME_PATTERN, duration, headerMap, isObject, obj, str, stringMap, unknownKeys } from '../validation/check.ts';
import { compileRetryPolicy, describeRetryPolicy, type RetryPolicy } from '../lifecycle/retry-policy.ts';
import { MAX_DURATION_MS } from '../lifecycle/duration.ts';
import type { ActionPolicy } from '../lifecycle/action.ts';
import type { CompletionMode } from '../lifecycle/states.ts';
import { compileTemplates, TemplateError, type BodyTemplate, type CompiledTemplates, type FieldDeclarations } from '../templates/index.ts';
import { MAPPING_KEYS, compileExpression, type CompiledMapping, type ResponseMappingSpec } from './mapping.ts';
import { staticPathProblem } from '../connectors/destination.ts';
import type { ActionTypeView } from './schemas.ts';

export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type Method = (typeof METHODS)[number];

export interface ActionTypeSpec {
  name: string;
  description: string | null;
  connectorId: string;
  method: Method;
  path: string;
  headers: Record<string, string>;
  body: BodyTemplate;
  fields: FieldDeclarations;
  completion: { mode: CompletionMode; timeoutMs: number | null; heartbeatTimeoutMs: number | null };
  retry: RetryPolicy;
  allocation: { queue: string | null; user: string | null };
  response: ResponseMappingSpec;
}

/** The runtime form: templates and expressions compiled once, policy ready for the lifecycle. */
export interface CompiledActionType {
  id: string;
  revision: number;
  spec: ActionTypeSpec;
  templates: CompiledTemplates;
  mapping: CompiledMapping;
  policy: ActionPolicy;
}

const KNOWN = [
  'name',
  'description',
  'connector',
  'method',
  'path',
  'headers',
  'body',
  'fields',
  'completion',
  'retry',
  'allocation',
  'response',
] as const;

/**
 * Validates an action type document. `connectorExists` resolves the `connector` field (id or name)
 * to an id, or undefined when there is no such connector.
 */
export function compileActionTypeSpec(input: unknown, connectorId: string | undefined): ActionTypeSpec {
  const p = new Problems();
  if (!isObject(input)) {
    p.add('', 'the body must be a JSON object');
    p.throwIfAny();
  }
  const v = input as Doc;
  unknownKeys(p, v, '', KNOWN);
  const name = str(p, v.name, 'name', { pattern: NAME_PATTERN, patternHint: NAME_HINT });
  const description = str(p, v.description, 'description', { required: false, max: 2000 }) ?? null;
  if (v.connector === undefined) p.add('connector', 'is required');
  else if (connectorId === undefined) p.add('connector', `no connector ${JSON.stringify(v.connector)} exists`);
  const method = (typeof v.method === 'string' ? v.method.toUpperCase() : (v.method ?? 'POST')) as Method;
  if (!(METHODS as readonly string[]).includes(method as string)) p.add('method', `must be one of ${METHODS.join(', ')}`);
  const path = str(p, v.path ?? '', 'path', { required: false, max: 4000 }) ?? '';
  const pathProblem = staticPathProblem(path);
  if (pathProblem) p.add('path', pathProblem);
  // The static text of each value is checked here; what its tokens render to is checked at send time.
  const headers = headerMap(p, v.headers, 'headers');
  const body = checkBody(p, v.body);
  const fields = (obj(p, v.fields, 'fields', false) ?? {}) as FieldDeclarations;

  const c = obj(p, v.completion, 'completion', false) ?? {};
  unknownKeys(p, c, 'completion', ['mode', 'timeout', 'heartbeatTimeout']);
  const mode = (c.mode ?? 'response') as CompletionMode;
  if (mode !== 'response' && mode !== 'callback') p.add('completion.mode', 'must be "response" or "callback"');
  const timeoutMs = duration(p, c.timeout, 'completion.timeout', { min: 1 }) ?? null;
  const heartbeatTimeoutMs = duration(p, c.heartbeatTimeout, 'completion.heartbeatTimeout', { min: 1 }) ?? null;

  let retry: RetryPolicy | undefined;
  try {
    retry = compileRetryPolicy(v.retry, 'retry');
  } catch (e) {
    if (e instanceof ValidationError) for (const x of e.errors ?? []) p.add(x.field, x.message);
    else throw e;
  }

  const al = obj(p, v.allocation, 'allocation', false) ?? {};
  unknownKeys(p, al, 'allocation', ['queue', 'user']);
  const allocation = {
    queue: str(p, al.queue, 'allocation.queue', { required: false, max: 200 }) ?? null,
    user: str(p, al.user, 'allocation.user', { required: false, max: 200 }) ?? null,
  };

  const r = obj(p, v.response, 'response', false) ?? {};
  unknownKeys(p, r, 'response', MAPPING_KEYS);
  const response = Object.fromEntries(
    MAPPING_KEYS.map((k) => [k, str(p, r[k], `response.${k}`, { required: false, max: 10_000 }) ?? null]),
  ) as unknown as ResponseMappingSpec;
  for (const k of MAPPING_KEYS) {
    // Bounded here, where it is saved: a mapping stored before the bound still loads.
    const text = response[k];
    const shape = text === null ? undefined : expressionShapeProblem(text);
    if (shape !== undefined) p.add(`response.${k}`, shape);
    else compileExpression(p, text, `response.${k}`);
  }

  p.throwIfAny();
  const spec: ActionTypeSpec = {
    name: name!,
    description,
    connectorId: connectorId!,
    method,
    path,
    headers,
    body,
    fields,
    completion: { mode, timeoutMs, heartbeatTimeoutMs },
    retry: retry!,
    allocation,
    response,
  };
  templatesOf(spec, true); // refuses a template that does not compile, with its position
  return spec;
}

function checkBody(p: Problems, v: unknown): BodyTemplate {
  if (v === undefined || v === null) return { format: 'none' };
  const b = obj(p, v, 'body');
  if (!b) return { format: 'none' };
  switch (b.format) {
    case 'json':
      unknownKeys(p, b, 'body', ['format', 'template']);
      // A template given as a JSON value rather than text is accepted as its JSON text.
      if (typeof b.template === 'string' || isObject(b.template) || Array.isArray(b.template)) {
        const template = typeof b.template === 'string' ? b.template : JSON.stringify(b.template);
        if (template.length > MAX_BODY_TEMPLATE_CHARS) p.add('body.template', `is longer than ${MAX_BODY_TEMPLATE_CHARS} characters`);
        return { format: 'json', template };
      }
      p.add('body.template', 'is required: JSON text with {{ tokens }} inside strings');
      return { format: 'none' };
    case 'form':
      unknownKeys(p, b, 'body', ['format', 'fields']);
      return { format: 'form', fields: stringMap(p, b.fields, 'body.fields') };
    case 'none':
      unknownKeys(p, b, 'body', ['format']);
      return { format: 'none' };
    default:
      p.add('body.format', 'must be "json", "form" or "none"');
      return { format: 'none' };
  }
}

/** A request body template's length: far beyond any request a builder writes by hand, short of what stalls compiling. */
const MAX_BODY_TEMPLATE_CHARS = 100_000;

/** The templates of a spec; `saving` applies the bounds a new definition must keep (one stored before them still loads). */
function templatesOf(spec: ActionTypeSpec, saving = false): CompiledTemplates {
  try {
    return compileTemplates(
      { path: spec.path, headers: spec.headers, body: spec.body },
      spec.fields,
      saving ? { maxFields: MAX_FIELDS } : {},
    );
  } catch (e) {
    if (e instanceof TemplateError) throw new ValidationError([{ field: e.location, message: `${e.reason} (at position ${e.position})` }]);
    throw e;
  }
}

export function compileActionType(id: string, revision: number, spec: ActionTypeSpec): CompiledActionType {
  const p = new Problems();
  const mapping = Object.fromEntries(
    MAPPING_KEYS.map((k) => [k, compileExpression(p, spec.response[k], `response.${k}`)]),
  ) as CompiledMapping;
  p.throwIfAny();
  return {
    id,
    revision,
    spec,
    templates: templatesOf(spec),
    mapping,
    policy: Object.freeze({ retry: spec.retry, completion: spec.completion, allocation: spec.allocation }),
  };
}

export function actionTypeToDoc(spec: ActionTypeSpec): Doc {
  return { ...spec, retry: describeRetryPolicy(spec.retry) } as unknown as Doc;
}

export function actionTypeFromDoc(doc: Doc): ActionTypeSpec {
  return { ...(doc as unknown as ActionTypeSpec), retry: compileRetryPolicy(storedRetry(doc.retry)) };
}

/**
 * A stored policy was valid when it was saved: a duration beyond today's bound (MAX_DURATION_MS, ten
 * years; unbounded before) is read as the bound rather than making the action type fail to load.
 */
function storedRetry(retry: unknown): unknown {
  if (!isObject(retry)) return retry;
  const out: Doc = { ...retry };
  for (const k of ['interval', 'maxInterval', 'window'])
    if (typeof out[k] === 'number' && (out[k] as number) > MAX_DURATION_MS) out[k] = MAX_DURATION_MS;
  return out;
}

/** The option form (what a builder sends), used as the base a PATCH is merged onto. */
export function actionTypeOptions(spec: ActionTypeSpec): Doc {
  return {
    name: spec.name,
    ...(spec.description !== null ? { description: spec.description } : {}),
    connector: spec.connectorId,
    method: spec.method,
    path: spec.path,
    headers: spec.headers,
    body: spec.body,
    fields: spec.fields,
    completion: {
      mode: spec.completion.mode,
      ...(spec.completion.timeoutMs !== null ? { timeout: spec.completion.timeoutMs } : {}),
      ...(spec.completion.heartbeatTimeoutMs !== null ? { heartbeatTimeout: spec.completion.heartbeatTimeoutMs } : {}),
    },
    retry: describeRetryPolicy(spec.retry),
    allocation: Object.fromEntries(Object.entries(spec.allocation).filter(([, x]) => x !== null)),
    response: Object.fromEntries(Object.entries(spec.response).filter(([, x]) => x !== null)),
  };
}

export function actionTypeView(t: CompiledActionType, meta: { createdAt: number; updatedAt: number }): ActionTypeView {
  return {
    id: t.id,
    // The option form is a Doc because PATCH merges onto it; the schema documents it, the contract test checks it.
    ...(actionTypeOptions(t.spec) as Omit<ActionTypeView, 'id' | 'parsedFields' | 'systemTokens' | 'revision' | 'createdAt' | 'updatedAt'>),
    parsedFields: t.templates.fields,
    systemTokens: t.templates.systemTokens,
    revision: t.revision,
    createdAt: new Date(meta.createdAt).toISOString(),
    updatedAt: new Date(meta.updatedAt).toISOString(),
  };
}
