// Building the HTTP request of an attempt from an action type, its connector and the input: the one
// place the engine and 'Test action' share, so what a builder previews is what gets sent.

import type { ActionTypeEntry, ConnectorEntry } from './registry.ts';
import type { OutboundRequest } from './sender.ts';
import type { SystemValues } from '../templates/index.ts';
import { resolveUnderBase } from '../connectors/destination.ts';

export const USER_AGENT = 'Callout/0.1';

/** Throws RenderError (a value cannot go where it is placed) or DestinationRefusedError (outside the base URL). */
export function buildRequest(
  type: ActionTypeEntry,
  connector: ConnectorEntry,
  input: Record<string, unknown>,
  system: SystemValues,
): OutboundRequest {
  const t = type.compiled;
  const rendered = t.templates.render(input, system);
  const url = resolveUnderBase(connector.spec.baseUrl, rendered.path);
  // Later entries win: connector defaults, then the body's content type, then the action type's headers.
  const headers: Record<string, string> = { 'user-agent': USER_AGENT };
  for (const [k, v] of Object.entries(connector.spec.headers)) headers[k.toLowerCase()] = v;
  if (rendered.contentType) headers['content-type'] = rendered.contentType;
  for (const [k, v] of Object.entries(rendered.headers)) headers[k.toLowerCase()] = v;
  headers['idempotency-key'] = system.idempotencyKey;
  return { method: t.spec.method, url, headers, body: rendered.body };
}
