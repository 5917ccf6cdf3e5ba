// One attempt: render the request, send it, and say what happened in the lifecycle's words (the
// response mapping evaluated, the attempt recorded with the callback token and the connector's
// credentials redacted).

import type { ActionRecord } from '../lifecycle/action.ts';
import type { ActionEvent, Evaluation } from '../lifecycle/transition.ts';
import type { Clock } from '../clock.ts';
import type { ActionTypeEntry, ConnectorEntry } from './registry.ts';
import type { OutboundRequest, Sender, SendResult } from './sender.ts';
import { type Redactor, withCredentialsRedacted, withHeaderCredentials } from '../connectors/auth/redact.ts';
import type { ConnectorHealth } from './connector-health.ts';
import type { ConnectorStats } from './connector-stats.ts';
import { type CallbackTokens, redactToken } from './callback-tokens.ts';
import { RenderError } from '../templates/index.ts';
import { DestinationRefusedError } from '../connectors/destination.ts';
import { buildRequest } from './request.ts';
import { evaluate } from '../action-types/mapping.ts';
import { MAX_JSON_DEPTH, MAX_OUTPUT_BYTES, MAX_REFERENCE_CHARS, jsonProblem, jsonTextWithin, textExcerpt } from '../json-limits.ts';
import { parseRetryAfter } from './retry-after.ts';
import { lastWindowEnd } from '../limits/windows.ts';

/** What an attempt needs from the engine: no state of its own, so attempts run side by side. */
export interface AttemptDeps {
  readonly sender: Sender;
  readonly clock: Clock;
  readonly health: ConnectorHealth;
  /** Each connector's attempts per minute, counted in memory (the connector page's chart). */
  readonly stats: ConnectorStats;
  readonly tokens: CallbackTokens;
}

const EXCERPT = 4096;
/** The part of an error answer's body that goes into the action's last error. */
const BODY_EXCERPT = 300;
/** How long a person waits to fix refused credentials before the action is looked at again. */
const ATTENTION_RECHECK_MS = 30_000;
const excerpt = (s: string | undefined): string | undefined => (s === undefined ? undefined : textExcerpt(s, EXCERPT));
/**
 * The text with the callback token replaced, for text cut to an excerpt: replaced after the cut, a
 * token the cut went through would keep all but its last characters. '' (no token) changes nothing.
 */
const untokened = (text: string, token: string): string => (token === '' ? text : redactToken(text, token));

/**
 * Makes one attempt and says what happened, in the lifecycle's words. The callback token goes to
 * the external system only: what is recorded (request, answer, errors) shows `[callback token]`.
 * The connector's credentials, should the answer echo them, show `[redacted]` in everything kept of
 * it (the excerpt, messages, the output, the reference, a rejected reason).
 * `sendBy`: the request must start by then (the end of its rate-limit permit's window), or not at all.
 */
export async function makeAttempt(
  deps: AttemptDeps,
  a: ActionRecord,
  type: ActionTypeEntry,
  connector: ConnectorEntry,
  sendBy?: number,
): Promise<ActionEvent> {
  const ts = type.compiled.templates.systemTokens;
  const withToken = ts.includes('$callbackUrl') || ts.includes('$callbackToken');
  const event = await attemptWith(deps, a, type, connector, withToken, sendBy);
  return withToken ? redactToken(event, deps.tokens.make(a.id)) : event;
}

/**
 * The stored input checked against the action type's fields as they are now: it was checked at
 * launch, but the action type may have changed since (a new required field would otherwise render
 * empty, e.g. `/ok/x/`). New defaults apply; a field the action type no longer has is not used.
 */
export function currentInput(
  type: ActionTypeEntry,
  stored: Record<string, unknown>,
): { ok: true; value: Record<string, unknown> } | { ok: false; message: string } {
  const t = type.compiled.templates;
  const known: Record<string, unknown> = {};
  for (const k in stored) if (Object.hasOwn(t.fields, k)) known[k] = stored[k];
  const checked = t.validateInput(known);
  if (checked.ok) return { ok: true, value: checked.value };
  return { ok: false, message: checked.errors.map((e) => `${e.field || 'input'}: ${e.message}`).join('; ') };
}

async function attemptWith(
  deps: AttemptDeps,
  a: ActionRecord,
  type: ActionTypeEntry,
  connector: ConnectorEntry,
  withToken: boolean,
  sendBy?: number,
): Promise<ActionEvent> {
  const clock = deps.clock;
  const input = currentInput(type, a.input);
  if (!input.ok) return { type: 'send_refused', cause: 'invalid_input', message: input.message };
  let req: OutboundRequest;
  let system: ReturnType<CallbackTokens['systemValues']>;
  try {
    system = deps.tokens.systemValues(a, withToken);
    req = buildRequest(type, connector, input.value, system);
  } catch (err) {
    if (err instanceof RenderError) return { type: 'send_refused', cause: 'invalid_input', message: `${err.field}: ${err.reason}` };
    if (err instanceof DestinationRefusedError) return { type: 'send_refused', cause: 'destination_refused', message: err.message };
    throw err;
  }
  if (sendBy !== undefined) req.stillAllowed = () => clock.now() <= sendBy;
  const result = await deps.sender.send(connector, req);
  deps.stats.note(connector.id, result, clock.now());
  // Everything below that is kept for display is read from the answer through this, and only this:
  // the connector's secrets, and credentials an action type's headers carried (`Private-Token: ...`).
  // Shown text (the record, excerpts, errors) also hides what credential-named headers carried; the
  // mapping reads the answer with the connector's own secrets hidden only: a guessed header value
  // (`X-Session-Ttl: 3600`) must not change the data a mapping computes with.
  const redact = withHeaderCredentials(result.redactor, req.headers, system.callbackToken);
  // A header that carries the callback token is left to its own placeholder, which says what it was.
  const record = attemptRecord(a.attempts + 1, req, result, redact, system.callbackToken);
  switch (result.kind) {
    case 'refused':
      return { type: 'send_refused', cause: 'destination_refused', message: redact.text(result.message) };
    case 'unsendable':
      return { type: 'send_refused', cause: 'invalid_input', message: redact.text(result.message) };
    case 'too_late': {
      // The rate-limit window of its permit ended before the request could start: next window.
      const now = clock.now();
      return { type: 'throttled', until: Math.min(lastWindowEnd(now, connector.spec.rateLimits), now + 1000), why: result.message };
    }
    case 'credentials_refused': {
      // Waiting for a person to fix the credentials must not burn retries (SPEC section 3).
      const now = clock.now();
      const message = redact.text(result.message);
      await deps.health.setAttention(connector.id, message, now);
      return { type: 'throttled', until: now + ATTENTION_RECHECK_MS, why: `the connector needs attention: ${message}` };
    }
    case 'connection_error':
    case 'timeout':
      return { type: 'send_failed', kind: result.kind, message: redact.text(result.message), attempt: record };
    case 'too_large': {
      // A 2xx answer cannot be mapped from a cut body: a person decides. Otherwise the status decides.
      const ok = result.status >= 200 && result.status < 300;
      return ok
        ? { type: 'send_answered', status: result.status, attempt: record, unusable: result.message }
        : {
            type: 'send_answered',
            status: result.status,
            attempt: record,
            bodyExcerpt: redact.excerpt(untokened(result.body, system.callbackToken), BODY_EXCERPT),
          };
    }
    case 'answered': {
      const ok = result.status >= 200 && result.status < 300;
      const mapped = ok ? await evaluateResponse(type, a, result, result.redactor, redact) : {};
      return {
        type: 'send_answered',
        status: result.status,
        attempt: record,
        ...(result.headers['retry-after'] !== undefined
          ? { retryAfterMs: parseRetryAfter(result.headers['retry-after'], clock.now()) }
          : {}),
        ...(ok ? {} : { bodyExcerpt: redact.excerpt(untokened(result.body, system.callbackToken), BODY_EXCERPT) }),
        ...mapped,
      };
    }
  }
}

/** Runs the action type's response mapping on a 2xx answer; a mapping that fails is a rejection, with its reason. */
async function evaluateResponse(
  type: ActionTypeEntry,
  a: ActionRecord,
  result: Extract<SendResult, { kind: 'answered' }>,
  redact: Redactor,
  shown: Redactor,
): Promise<{ evaluation?: Evaluation; externalReference?: string }> {
  const m = type.compiled.mapping;
  // Echoed credentials never reach the output, the reference or a reason: the mapping reads the answer
  // redacted (a connector without secrets pays nothing; one with them, a search for one or two strings).
  const text = redact.active ? redact.text(result.body) : result.body;
  let body: unknown = null;
  let parsed = false;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
      parsed = true;
    } catch {
      body = text;
    }
  }
  const ctx = { status: result.status, headers: result.headers, input: a.input };
  try {
    const out: { evaluation?: Evaluation; externalReference?: string } = {};
    if (m.externalReference) {
      const ref = await evaluate(m.externalReference, body, ctx);
      if (ref !== undefined && ref !== null) out.externalReference = String(ref);
      if ((out.externalReference?.length ?? 0) > MAX_REFERENCE_CHARS)
        throw new Error(`response.externalReference gave a reference longer than ${MAX_REFERENCE_CHARS} characters`);
    }
    if (type.compiled.policy.completion.mode === 'callback') return out;
    const success = m.successWhen ? Boolean(await evaluate(m.successWhen, body, ctx)) : true;
    const output = m.output ? await evaluate(m.output, body, ctx) : body;
    // Without an output mapping the body itself is kept: the same limits as a mapped result.
    const limits = { maxDepth: MAX_JSON_DEPTH, maxBytes: MAX_OUTPUT_BYTES };
    const tooBig = m.output || (parsed && jsonTextWithin(text, limits)) ? undefined : jsonProblem(output, limits);
    if (tooBig) throw new Error(`the response body, kept as the output (there is no response.output), ${tooBig}`);
    const evaluation: Evaluation = { success, output: output === undefined ? null : output };
    if (!success) {
      const reason = m.rejectedReason ? await evaluate(m.rejectedReason, body, ctx) : undefined;
      evaluation.rejectedReason =
        reason !== undefined && reason !== null
          ? shown.text(String(reason))
          : `The response did not meet the success condition ${type.compiled.spec.response.successWhen}`;
    }
    out.evaluation = evaluation;
    return out;
  } catch (err) {
    return { evaluation: { success: false, rejectedReason: shown.text(`Response mapping failed: ${(err as Error).message}`) } };
  }
}

/**
 * The attempt as the timeline records it: the request sent (without the auth headers, which the
 * sender adds) and the answer or error, bodies cut to an excerpt, the answer's redacted.
 */
function attemptRecord(
  n: number,
  req: { method: string; url: URL; headers: Record<string, string>; body: string | undefined },
  result: SendResult,
  redact: Redactor,
  callbackToken: string,
): Record<string, unknown> {
  const base = {
    attempt: n,
    request: {
      method: req.method,
      url: req.url.toString(),
      headers: withCredentialsRedacted(req.headers, callbackToken),
      body: excerpt(req.body === undefined ? undefined : untokened(req.body, callbackToken)),
    },
    durationMs: result.durationMs,
  };
  if (result.kind === 'answered' || result.kind === 'too_large')
    return { ...base, response: { status: result.status, body: redact.excerpt(untokened(result.body, callbackToken), EXCERPT, '…') } };
  return { ...base, error: { kind: result.kind, message: redact.text(result.message) } };
}
