// 'Test action': render the exact request an action type would send from sample values, and,
// when asked, send it once and show the answer. Nothing is stored; no action is created.

import { Problems } from '../errors.ts';
import { isObject } from '../validation/check.ts';
import { RenderError } from '../templates/index.ts';
import { DestinationRefusedError } from '../connectors/destination.ts';
import { buildRequest } from '../engine/request.ts';
import type { ActionTypeEntry, ConnectorEntry } from '../engine/registry.ts';
import type { Sender } from '../engine/sender.ts';
import type { TestActionResult } from './schemas.ts';
import { ADDED_BY_AUTH, withCredentialsRedacted, withHeaderCredentials } from '../connectors/auth/redact.ts';

export interface TestActionDeps {
  sender: Sender;
  publicUrl: string;
  now: number;
}

export async function testAction(
  type: ActionTypeEntry,
  connector: ConnectorEntry,
  body: unknown,
  deps: TestActionDeps,
): Promise<TestActionResult> {
  const p = new Problems();
  const b = isObject(body) ? body : {};
  if (body !== undefined && body !== null && !isObject(body)) p.add('', 'the body must be a JSON object');
  for (const k of Object.keys(b)) if (!['input', 'send', 'caseId'].includes(k)) p.add(k, 'is not a test setting (input, send, caseId)');
  if (b.input !== undefined && !isObject(b.input)) p.add('input', 'must be an object of sample values');
  if (b.send !== undefined && typeof b.send !== 'boolean') p.add('send', 'must be true or false');
  p.throwIfAny();
  const checked = type.compiled.templates.validateInput(b.input ?? {});
  if (!checked.ok) for (const e of checked.errors) p.add(e.field ? `input.${e.field}` : 'input', e.message);
  p.throwIfAny();
  const input = (checked as { value: Record<string, unknown> }).value;
  const testId = `test-${deps.now}`;
  let req;
  try {
    req = buildRequest(type, connector, input, {
      actionId: testId,
      caseId: typeof b.caseId === 'string' ? b.caseId : null,
      idempotencyKey: testId,
      callbackToken: 'test-callback-token',
      callbackUrl: `${deps.publicUrl}/v1/callbacks/test-callback-token`,
    });
  } catch (err) {
    if (err instanceof RenderError) p.add(`input.${err.field.replace(/^\$/, '')}`, err.reason);
    else if (err instanceof DestinationRefusedError) p.add('path', err.message);
    else throw err;
    p.throwIfAny();
    throw err;
  }
  // The connector's auth is added when sending; the preview says so without showing it.
  const authHeaders = deps.sender.authHeaderNames(connector);
  const request = {
    method: req.method,
    url: req.url.toString(),
    headers: {
      ...withCredentialsRedacted(req.headers),
      ...Object.fromEntries(authHeaders.map((h) => [h, ADDED_BY_AUTH])),
    },
    body: req.body ?? null,
  };
  if (b.send !== true) return { sent: false, request };
  const result = await deps.sender.send(connector, req);
  // The answer is shown, not used: the credentials it may echo (the connector's, the headers') are redacted first.
  const redact = withHeaderCredentials(result.redactor, req.headers);
  if (result.kind === 'answered') {
    const text = redact.text(result.body);
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON: show the text */
    }
    const headers = redact.active
      ? Object.fromEntries(Object.entries(result.headers).map(([k, v]) => [k, redact.text(v)]))
      : result.headers;
    return {
      sent: true,
      request,
      response: { status: result.status, headers, body: parsed, durationMs: result.durationMs },
    };
  }
  return { sent: true, request, error: { kind: result.kind, message: redact.text(result.message), durationMs: result.durationMs } };
}
