// The action-type editor's model: the API's shapes and the form they are edited in, both ways.

import { durationText } from '../duration.ts';
import { derivedMaxIntervalFor, maxIntervalText } from '../retry.ts';

export const TYPES = ['string', 'number', 'integer', 'boolean', 'date', 'datetime', 'json'];
export interface FieldSpec {
  type: string;
  required: boolean;
  default?: unknown;
}
export interface ActionType {
  id: string;
  name: string;
  description?: string;
  connector: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: { format: string; template?: string; fields?: Record<string, string> };
  fields: Record<string, { type?: string; required?: boolean; default?: unknown }>;
  completion: { mode: string; timeout?: number };
  /** As the API lists it: every setting, durations in ms, maxInterval derived when none was chosen. */
  retry: { maxRetries: number; interval: number; backoff?: string; maxInterval?: number };
  allocation: { queue?: string };
  response: Record<string, string>;
  parsedFields: Record<string, FieldSpec>;
  revision: number;
}
export interface Preview {
  fields: Record<string, FieldSpec>;
  systemTokens: string[];
  schema: unknown;
}

export interface Form {
  name: string;
  description: string;
  connector: string;
  method: string;
  path: string;
  headers: string;
  bodyFormat: string;
  template: string;
  declared: Record<string, { type: string; required: boolean; default: string }>;
  mode: string;
  timeout: string;
  maxRetries: string;
  interval: string;
  backoff: string;
  /** Empty when none was chosen: the API's derived one (see maxIntervalText). */
  maxInterval: string;
  queue: string;
  successWhen: string;
  output: string;
  externalReference: string;
  rejectedReason: string;
}

export const parseLines = (t: string): Record<string, string> =>
  Object.fromEntries(
    t
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => {
        const i = l.indexOf(':');
        return i < 0 ? [l, ''] : [l.slice(0, i).trim(), l.slice(i + 1).trim()];
      }),
  );

export function formOf(t: ActionType | undefined): Form {
  return {
    name: t?.name ?? '',
    description: t?.description ?? '',
    connector: t?.connector ?? '',
    method: t?.method ?? 'POST',
    path: t?.path ?? '/',
    headers: Object.entries(t?.headers ?? {})
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n'),
    bodyFormat: t?.body.format ?? 'json',
    template: t?.body.template ?? '{}',
    declared: Object.fromEntries(
      Object.entries(t?.fields ?? {}).map(([k, v]) => [
        k,
        {
          type: v.type ?? 'string',
          required: v.required ?? true,
          default: v.default === undefined ? '' : typeof v.default === 'string' ? v.default : JSON.stringify(v.default),
        },
      ]),
    ),
    mode: t?.completion.mode ?? 'response',
    timeout: t?.completion.timeout ? durationText(t.completion.timeout) : '',
    maxRetries: String(t?.retry.maxRetries ?? 3),
    interval: t ? durationText(t.retry.interval) : '',
    backoff: t?.retry.backoff ?? 'exponential',
    maxInterval: maxIntervalText(t?.retry),
    queue: t?.allocation.queue ?? '',
    successWhen: t?.response.successWhen ?? '',
    output: t?.response.output ?? '',
    externalReference: t?.response.externalReference ?? '',
    rejectedReason: t?.response.rejectedReason ?? '',
  };
}

/**
 * The value of an input box as sent in an action's input (a test, a launch, a correction): a number
 * or true/false only when it reads as one, else the text as typed, so the server names the field
 * (NaN travelled as null, and the field's default was used without a word).
 */
export function inputValue(type: string, text: string): unknown {
  if (type === 'number' || type === 'integer') return text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
  if (type === 'boolean') {
    // The words a CSV cell may use too (bulk-launches/convert.ts): "yes" was refused here and taken there.
    const w = text.trim().toLowerCase();
    return ['true', 'yes', '1'].includes(w) ? true : ['false', 'no', '0'].includes(w) ? false : text;
  }
  return typed(type, text);
}

/** A typed value from what was typed in a box, by the field's type. */
export function typed(type: string, text: string): unknown {
  if (type === 'number' || type === 'integer') return text.trim() === '' ? text : Number(text);
  if (type === 'boolean') return text === 'true';
  if (type === 'json') {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

export function templatesOf(f: Form): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [k, d] of Object.entries(f.declared))
    if (d.type !== 'string' || !d.required || d.default !== '')
      fields[k] = {
        type: d.type,
        ...(d.required ? {} : { required: false }),
        ...(d.default !== '' ? { default: typed(d.type, d.default) } : {}),
      };
  return {
    path: f.path,
    headers: parseLines(f.headers),
    body:
      f.bodyFormat === 'json'
        ? { format: 'json', template: f.template }
        : f.bodyFormat === 'form'
          ? { format: 'form', fields: parseLines(f.template) }
          : { format: 'none' },
    fields,
  };
}

/**
 * The body of a POST or PATCH of `t` (none: a new one): an emptied box is sent as null, which clears it (a
 * PATCH keeps what it leaves out). Not the longest wait: the API takes no null there, and keeps a limit
 * the PATCH leaves out, so an empty box sends the one the API derives from the interval (an hour, or the
 * interval if longer), which is what it stores for a policy that names none.
 */
export function bodyOf(f: Form, t?: ActionType): Record<string, unknown> {
  const maxInterval = f.maxInterval.trim() || derivedMaxIntervalFor(f.interval, t?.retry.interval);
  const response = Object.fromEntries(
    (['successWhen', 'output', 'externalReference', 'rejectedReason'] as const).map((k) => [k, f[k] || null]),
  );
  return {
    name: f.name,
    description: f.description || null,
    connector: f.connector,
    method: f.method,
    ...templatesOf(f),
    completion: { mode: f.mode, timeout: f.timeout || null },
    retry: {
      maxRetries: Number(f.maxRetries),
      ...(f.interval ? { interval: f.interval } : {}),
      backoff: f.backoff,
      ...(maxInterval !== undefined ? { maxInterval } : {}),
    },
    allocation: { queue: f.queue || null },
    response,
  };
}
