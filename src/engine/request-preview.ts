// The request an action's next attempt would send, rendered now and sent nowhere: what a bulk retry's
// preview shows. Built as an attempt builds it (the stored input checked against the action type as it
// is now, the same system values, buildRequest) and shown as the attempt's record and 'Test action'
// show requests: credential headers redacted, the connector's auth headers named but not shown, the
// connector's secrets and the callback token replaced wherever they appear.

import type { ActionRecord } from '../lifecycle/action.ts';
import type { Registry } from './registry.ts';
import type { Sender } from './sender.ts';
import type { SystemValues } from './callback-tokens.ts';
import { redactToken } from './callback-tokens.ts';
import { buildRequest } from './request.ts';
import { currentInput } from './attempt.ts';
import { NotFoundError } from '../errors.ts';
import { RenderError } from '../templates/index.ts';
import { DestinationRefusedError } from '../connectors/destination.ts';
import { ADDED_BY_AUTH, Redactor, authSecrets, withCredentialsRedacted, withHeaderCredentials } from '../connectors/auth/redact.ts';

export interface ShownRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
}

/** The request, or why the attempt would not send one (the words its timeline would use). */
export type RequestPreview = { request: ShownRequest } | { error: string };

export interface RequestPreviewDeps {
  registry: Pick<Registry, 'actionType' | 'connector'>;
  sender: Pick<Sender, 'authHeaderNames'>;
  tokens: { systemValues(a: ActionRecord, withToken: boolean): SystemValues };
}

/** As much of a body as an attempt's record keeps. */
const BODY_SHOWN = 4096;

export async function previewRequest(deps: RequestPreviewDeps, a: ActionRecord): Promise<RequestPreview> {
  if (a.actionTypeId === null) return { error: 'a manual task: a retry sends no request' };
  let type;
  let connector;
  try {
    type = await deps.registry.actionType(a.actionTypeId);
    connector = await deps.registry.connector(type.compiled.spec.connectorId);
  } catch (err) {
    if (err instanceof NotFoundError) return { error: `would not send: ${err.message}` };
    throw err;
  }
  const input = currentInput(type, a.input);
  if (!input.ok) return { error: `would be refused as invalid input: ${input.message}` };
  const ts = type.compiled.templates.systemTokens;
  const withToken = ts.includes('$callbackUrl') || ts.includes('$callbackToken');
  const system = deps.tokens.systemValues(a, withToken);
  let req;
  try {
    req = buildRequest(type, connector, input.value, system);
  } catch (err) {
    if (err instanceof RenderError) return { error: `would be refused as invalid input: ${err.field}: ${err.reason}` };
    if (err instanceof DestinationRefusedError) return { error: `would be refused: ${err.message}` };
    throw err;
  }
  // The connector's stored secrets and credential-named headers' values, wherever a template put them.
  const redact = withHeaderCredentials(Redactor.of(authSecrets(connector.spec.auth)), req.headers, system.callbackToken);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(withCredentialsRedacted(req.headers, system.callbackToken))) headers[k] = redact.text(v);
  for (const h of deps.sender.authHeaderNames(connector)) headers[h] = ADDED_BY_AUTH;
  const shown: ShownRequest = {
    method: req.method,
    url: redact.text(req.url.toString()),
    headers,
    // The token replaced before the cut, as in an attempt's record: a cut through it would keep most of it.
    body:
      req.body === undefined ? null : redact.excerpt(withToken ? redactToken(req.body, system.callbackToken) : req.body, BODY_SHOWN, '…'),
  };
  return { request: withToken ? redactToken(shown, system.callbackToken) : shown };
}
