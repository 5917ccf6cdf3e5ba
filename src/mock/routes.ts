// The behaviours of the mock external system, one function per route: each turns a parsed request
// into an answer (status, JSON text, extra headers, optional delay and after-send hook).

export type { Answer, MockRequest, RouteState } from './types.ts';
import { provider } from './provider.ts';
import type { Answer, MockRequest, RouteState } from './types.ts';

/** The client the mock's token endpoint accepts (the demo's OAuth connector uses it). */
export const MOCK_OAUTH_CLIENT = { id: 'demo-client', secret: 'demo-client-secret' };
export const MOCK_TOKEN_TTL_S = 300;

export type Route = (req: MockRequest, state: RouteState) => Answer;

const FAILURE_REASON = 'Rejected by the external system';

export function json(status: number, body: string, headers?: string[]): Answer {
  return headers ? { status, body, headers } : { status, body };
}

export const NOT_FOUND: Answer = json(404, '{"error":"mock route not found"}');
export const MOCK_FAILURE: Answer = json(503, '{"error":"mock failure"}');

function ok(req: MockRequest, state: RouteState): Answer {
  const id = ++state.nextRef;
  const echo = req.body === null ? 'null' : JSON.stringify(req.body);
  return json(200, `{"ok":true,"id":"EXT-${id}","echo":${echo}}`);
}

function slow(req: MockRequest, state: RouteState): Answer {
  const answer = ok(req, state);
  answer.delayMs = numberParam(req.query, 'ms', 2000);
  return answer;
}

function status(req: MockRequest): Answer {
  const code = Number(req.path.slice('/status/'.length));
  if (!Number.isInteger(code) || code < 200 || code > 599) {
    return json(400, '{"error":"mock status must be an integer from 200 to 599"}');
  }
  const retryAfter = req.query?.get('retryAfter');
  const headers = retryAfter ? ['retry-after', retryAfter] : undefined;
  if (code === 204 || code === 304) return json(code, '', headers);
  return json(code, `{"error":"mock status ${code}"}`, headers);
}

function flaky(req: MockRequest, state: RouteState): Answer {
  if (Math.random() < numberParam(req.query, 'failRate', 0.5)) return MOCK_FAILURE;
  return ok(req, state);
}

function failThenOk(req: MockRequest, state: RouteState): Answer {
  const times = numberParam(req.query, 'times', 1);
  const key = req.key ?? '';
  const seen = (state.failThenOkCounts.get(key) ?? 0) + 1;
  state.failThenOkCounts.set(key, seen);
  if (seen <= times) return json(503, `{"error":"mock failure ${seen} of ${times}"}`);
  return ok(req, state);
}

function reject(): Answer {
  return json(400, '{"error":"Cost centre unknown"}');
}

function ratelimited(req: MockRequest, state: RouteState): Answer {
  const budget = state.rateBudget;
  if (budget) {
    const now = Date.now();
    const windowStart = now - (now % budget.perMs);
    if (windowStart !== state.rateWindowStart) {
      state.rateWindowStart = windowStart;
      state.rateWindowCount = 0;
    }
    if (++state.rateWindowCount > budget.limit) {
      // The window ends within perMs; tell the caller the whole seconds left, at least 1.
      const seconds = Math.max(1, Math.ceil((windowStart + budget.perMs - now) / 1000));
      return json(429, '{"error":"mock rate limit exceeded"}', ['retry-after', String(seconds)]);
    }
  }
  return ok(req, state);
}

function callback(req: MockRequest, state: RouteState): Answer {
  const body = isRecord(req.body) ? req.body : {};
  const q = req.query;
  const never = q?.get('never') === '1' || q?.get('never') === 'true' || body.never === true;
  let target: URL | null = null;
  if (!never) {
    // `callback` is the field name the SPEC's example action type uses.
    const raw = q?.get('callbackUrl') ?? stringField(body, 'callbackUrl') ?? stringField(body, 'callback');
    target = parseHttpUrl(raw);
    if (!target) return json(400, '{"error":"callbackUrl missing or not an http(s) URL"}');
  }
  const ref = `EXT-${++state.nextRef}`;
  const answer = json(202, `{"accepted":true,"ref":"${ref}"}`);
  if (target) {
    const to = target;
    const failure = (q?.get('outcome') ?? stringField(body, 'outcome')) === 'failure';
    const reason = q?.get('reason') ?? stringField(body, 'reason') ?? FAILURE_REASON;
    const delayMs = numberParam(q, 'delayMs', numberField(body, 'delayMs') ?? state.callbackDelayMs);
    const headers = stringRecord(body.callbackHeaders);
    const payload = failure
      ? () => JSON.stringify({ outcome: 'failure', reason })
      : () =>
          JSON.stringify({
            outcome: 'success',
            data: { ticketNo: ref, resolvedAt: new Date().toISOString() },
          });
    answer.then = () => state.callbacks.schedule(to, delayMs, payload, headers);
  }
  return answer;
}

/** A minimal OAuth 2.0 token endpoint (client credentials, body or Basic) for the demo. */
function token(req: MockRequest, state: RouteState): Answer {
  const form = isRecord(req.body) ? req.body : {};
  let id = form.client_id;
  let secret = form.client_secret;
  const basic = /^Basic (.+)$/.exec(req.authorization ?? '');
  if (basic) [id, secret] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':').map(decodeURIComponent);
  if (form.grant_type !== 'client_credentials') return json(400, '{"error":"unsupported_grant_type"}');
  if (id !== MOCK_OAUTH_CLIENT.id || secret !== MOCK_OAUTH_CLIENT.secret) return json(401, '{"error":"invalid_client"}');
  const t = `mock-token-${++state.nextRef}-${Math.random().toString(36).slice(2)}`;
  state.tokens.add(t);
  return json(200, JSON.stringify({ access_token: t, token_type: 'Bearer', expires_in: MOCK_TOKEN_TTL_S }));
}

/** /secure/...: the same behaviours as the open routes, behind a bearer token from /oauth/token. */
function secure(req: MockRequest, state: RouteState): Answer {
  const m = /^Bearer (.+)$/.exec(req.authorization ?? '');
  if (!m || !state.tokens.has(m[1]!)) return json(401, '{"error":"invalid_token"}', ['www-authenticate', 'Bearer error="invalid_token"']);
  const inner = findRoute(req.path.slice('/secure'.length));
  return inner ? inner({ ...req, path: req.path.slice('/secure'.length) }, state) : NOT_FOUND;
}

const EXACT_ROUTES = new Map<string, Route>([
  ['/oauth/token', token],
  ['/ok', ok],
  ['/slow', slow],
  ['/flaky', flaky],
  ['/fail-then-ok', failThenOk],
  ['/reject', reject],
  ['/callback', callback],
  ['/ratelimited', ratelimited],
]);

export function findRoute(path: string): Route | undefined {
  const route = EXACT_ROUTES.get(path);
  if (route) return route;
  if (path.startsWith('/status/')) return status;
  if (path.startsWith('/secure/')) return secure;
  if (path.startsWith('/provider/')) return provider;
  return undefined;
}

function numberParam(query: URLSearchParams | null, name: string, fallback: number): number {
  const raw = query?.get(name);
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = Number(raw);
  return Number.isFinite(value) ? value : fallback;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Numbers may arrive as strings from form bodies. */
function numberField(body: Record<string, unknown>, name: string): number | undefined {
  const value = body[name];
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) if (typeof v === 'string') out[name] = v;
  return out;
}

function parseHttpUrl(raw: string | undefined): URL | null {
  if (!raw) return null;
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}
