// A connector: one external system. Validation of what a builder sends, the stored document (secrets
// encrypted) and the public view (secrets never returned, only which ones are set).

import { SECRET_MAX_BYTES, SECRET_MIN_BYTES, SECRET_PREFIX, secretKey } from '../webhooks/sign.ts';
import { Problems } from '../errors.ts';
import { type Doc, NAME_HINT, NAME_PATTERN, duration, headerMap, int, isObject, obj, str, unknownKeys } from '../validation/check.ts';
import { headerValueProblem } from '../validation/header-value.ts';
import { type Encrypted, type SecretBox, isEncrypted } from '../crypto/secrets.ts';
import { isLocalHostName } from './destination.ts';
import { AUTH_TYPES, type ConnectorView } from './schemas.ts';

export type AuthSpec =
  | { type: 'none' }
  | { type: 'basic'; username: string; password: string }
  | { type: 'bearer'; token: string }
  | { type: 'header'; headers: Record<string, string> }
  | {
      type: 'oauth2_client_credentials';
      tokenUrl: string;
      clientId: string;
      clientSecret: string;
      scope?: string;
      audience?: string;
      clientAuth: 'body' | 'basic';
    }
  | { type: 'oauth2_refresh_token'; tokenUrl: string; clientId: string; clientSecret?: string; refreshToken: string };

export interface RateLimit {
  limit: number;
  perMs: number;
}

export interface ConnectorSpec {
  name: string;
  description: string | null;
  baseUrl: string;
  auth: AuthSpec;
  headers: Record<string, string>;
  rateLimits: RateLimit[];
  /** @default null (no limit) */
  maxConcurrency: number | null;
  /** Opens after `failureThreshold` failures in a row (connection errors, timeouts, 5xx), holds sends for `cooldownMs`, then probes; null turns it off. @default { failureThreshold: 5, cooldownMs: 30000 } */
  circuitBreaker: CircuitBreakerSpec | null;
  /** Attempt timeout. @default 30 s */
  timeoutMs: number;
  /** Shared secret for signed callbacks; null when callbacks need no signature. */
  inboundSecret: string | null;
}

export interface CircuitBreakerSpec {
  failureThreshold: number;
  cooldownMs: number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerSpec = Object.freeze({ failureThreshold: 5, cooldownMs: 30_000 });
const KNOWN = [
  'name',
  'description',
  'baseUrl',
  'auth',
  'headers',
  'rateLimits',
  'maxConcurrency',
  'circuitBreaker',
  'timeout',
  'inboundSecret',
] as const;

/** Which auth fields are secrets, per type: encrypted at rest, never returned. */
export const SECRET_AUTH_FIELDS: Record<AuthSpec['type'], string[]> = {
  none: [],
  basic: ['password'],
  bearer: ['token'],
  header: ['headers'],
  oauth2_client_credentials: ['clientSecret'],
  oauth2_refresh_token: ['clientSecret', 'refreshToken'],
};

export interface ConnectorCompileContext {
  allowPrivateNetworks: boolean;
  /** The current spec on PATCH: omitted secrets keep their stored values. */
  existing?: ConnectorSpec;
}

/** Validates a connector document (POST body, or the merged PATCH), naming every bad field. */
export function compileConnector(input: unknown, ctx: ConnectorCompileContext): ConnectorSpec {
  const p = new Problems();
  if (!isObject(input)) {
    p.add('', 'the body must be a JSON object');
    p.throwIfAny();
  }
  const v = input as Doc;
  unknownKeys(p, v, '', KNOWN);
  const name = str(p, v.name, 'name', { pattern: NAME_PATTERN, patternHint: NAME_HINT });
  const description = str(p, v.description, 'description', { required: false, max: 2000 }) ?? null;
  const baseUrl = checkBaseUrl(p, v.baseUrl, ctx.allowPrivateNetworks);
  const auth = checkAuth(p, v.auth ?? { type: 'none' }, ctx.existing, baseUrl);
  if (auth && 'tokenUrl' in auth && !ctx.allowPrivateNetworks && isLocalHostName(new URL(auth.tokenUrl).hostname))
    p.add(
      'auth.tokenUrl',
      'is a loopback or private address; the deployment does not allow private networks (CALLOUT_ALLOW_PRIVATE_NETWORKS=1)',
    );
  const headers = headerMap(p, v.headers, 'headers');
  const rateLimits: RateLimit[] = [];
  const windowAt = new Map<number, number>();
  if (v.rateLimits !== undefined && v.rateLimits !== null) {
    if (!Array.isArray(v.rateLimits)) p.add('rateLimits', 'must be an array of { limit, per }');
    else
      v.rateLimits.forEach((r, i) => {
        const o = obj(p, r, `rateLimits[${i}]`);
        if (!o) return;
        unknownKeys(p, o, `rateLimits[${i}]`, ['limit', 'per']);
        const limit = int(p, o.limit, `rateLimits[${i}].limit`, 1, 10_000_000);
        if (o.limit === undefined) p.add(`rateLimits[${i}].limit`, 'is required');
        const perMs = duration(p, o.per, `rateLimits[${i}].per`, { min: 1, max: 31 * 86_400_000 });
        if (o.per === undefined) p.add(`rateLimits[${i}].per`, 'is required');
        // One counter per window length: a second limit over the same length added to it, and halved both.
        const twin = perMs === undefined ? undefined : windowAt.get(perMs);
        if (twin !== undefined)
          p.add(`rateLimits[${i}].per`, `repeats the window of rateLimits[${twin}]; give each window length once, with its limit`);
        else if (perMs !== undefined) windowAt.set(perMs, i);
        if (twin === undefined && limit !== undefined && perMs !== undefined) rateLimits.push({ limit, perMs });
      });
  }
  const maxConcurrency = int(p, v.maxConcurrency, 'maxConcurrency', 1, 10_000) ?? null;
  let circuitBreaker: CircuitBreakerSpec | null = DEFAULT_CIRCUIT_BREAKER;
  if (v.circuitBreaker === false || v.circuitBreaker === null) circuitBreaker = null;
  else if (v.circuitBreaker !== undefined) {
    const cb = obj(p, v.circuitBreaker, 'circuitBreaker');
    if (cb) {
      unknownKeys(p, cb, 'circuitBreaker', ['failureThreshold', 'cooldown']);
      circuitBreaker = {
        failureThreshold:
          int(p, cb.failureThreshold, 'circuitBreaker.failureThreshold', 1, 10_000) ?? DEFAULT_CIRCUIT_BREAKER.failureThreshold,
        cooldownMs: duration(p, cb.cooldown, 'circuitBreaker.cooldown', { min: 1, max: 86_400_000 }) ?? DEFAULT_CIRCUIT_BREAKER.cooldownMs,
      };
    }
  }
  const timeoutMs = duration(p, v.timeout, 'timeout', { min: 1, max: 600_000 }) ?? DEFAULT_TIMEOUT_MS;
  let inboundSecret = str(p, v.inboundSecret, 'inboundSecret', { required: false, max: 1000 }) ?? null;
  // A Standard Webhooks secret (it signs inbound requests addressed by reference); an older free-form
  // value kept from before is refused at the next save, with this message, until it is replaced.
  if (v.inboundSecret === undefined && ctx.existing) inboundSecret = ctx.existing.inboundSecret;
  if (inboundSecret !== null && secretKey(inboundSecret) === undefined)
    p.add(
      'inboundSecret',
      `must be "${SECRET_PREFIX}" followed by the base64 of ${SECRET_MIN_BYTES} to ${SECRET_MAX_BYTES} random bytes` +
        (v.inboundSecret === undefined ? ' (the stored value is an older format: set a new one)' : ''),
    );
  p.throwIfAny();
  return {
    name: name!,
    description,
    baseUrl: baseUrl!,
    auth: auth!,
    headers,
    rateLimits,
    maxConcurrency,
    circuitBreaker,
    timeoutMs,
    inboundSecret,
  };
}

function checkBaseUrl(p: Problems, v: unknown, allowPrivate: boolean): string | undefined {
  const s = str(p, v, 'baseUrl');
  if (s === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return void p.add('baseUrl', 'must be an absolute http or https URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return void p.add('baseUrl', 'must use http or https');
  if (u.username || u.password) return void p.add('baseUrl', 'must not contain credentials; use auth');
  if (u.search || u.hash) return void p.add('baseUrl', 'must not contain a query or fragment');
  if (!allowPrivate && isLocalHostName(u.hostname))
    return void p.add(
      'baseUrl',
      `${u.hostname} is a loopback or private address; the deployment does not allow private networks (CALLOUT_ALLOW_PRIVATE_NETWORKS=1)`,
    );
  return s.endsWith('/') ? s.slice(0, -1) : s;
}

function checkAuth(p: Problems, v: unknown, existing: ConnectorSpec | undefined, baseUrl: string | undefined): AuthSpec | undefined {
  const a = obj(p, v, 'auth');
  if (!a) return undefined;
  const type = a.type as AuthSpec['type'];
  if (!(AUTH_TYPES as readonly string[]).includes(type as string))
    return void p.add('auth.type', `must be one of ${AUTH_TYPES.join(', ')}`);
  // On PATCH a builder may resend the auth block without its secrets: keep the stored ones, but only
  // for the destination they were entered for.
  const keep = existing?.auth.type === type ? (existing.auth as Record<string, unknown>) : {};
  const was = existing ? destinationOf(existing.baseUrl, existing.auth) : undefined;
  const now = baseUrl !== undefined ? destinationOf(baseUrl, a) : undefined;
  const secret = (k: string): unknown => {
    if (a[k] !== undefined || keep[k] === undefined) return a[k];
    if (was !== undefined && now !== undefined && was.join(' ') !== now.join(' ')) {
      p.add(
        `auth.${k}`,
        `must be sent again: it was entered for ${was.join(' and ')}, and the connector now sends to ${now.join(' and ')}`,
      );
      return MOVED;
    }
    return keep[k];
  };
  switch (type) {
    case 'none':
      unknownKeys(p, a, 'auth', ['type']);
      return { type };
    case 'basic': {
      unknownKeys(p, a, 'auth', ['type', 'username', 'password']);
      const username = str(p, a.username, 'auth.username');
      const password = str(p, secret('password'), 'auth.password');
      return username !== undefined && password !== undefined ? { type, username, password } : undefined;
    }
    case 'bearer': {
      unknownKeys(p, a, 'auth', ['type', 'token']);
      const token = str(p, secret('token'), 'auth.token');
      // Sent as `Authorization: Bearer <token>`; a moved secret is checked where it is kept.
      const bad = typeof token === 'string' && token !== MOVED ? headerValueProblem(token, { secret: true }) : undefined;
      if (bad) p.add('auth.token', bad);
      return token !== undefined ? { type, token } : undefined;
    }
    case 'header': {
      unknownKeys(p, a, 'auth', ['type', 'headers']);
      const given = secret('headers');
      const headers = given === MOVED ? { moved: MOVED } : headerMap(p, given, 'auth.headers', { secret: true });
      if (Object.keys(headers).length === 0) p.add('auth.headers', 'must name at least one header');
      return { type, headers };
    }
    case 'oauth2_client_credentials': {
      unknownKeys(p, a, 'auth', ['type', 'tokenUrl', 'clientId', 'clientSecret', 'scope', 'audience', 'clientAuth']);
      const tokenUrl = checkUrl(p, a.tokenUrl, 'auth.tokenUrl');
      const clientId = str(p, a.clientId, 'auth.clientId');
      const clientSecret = str(p, secret('clientSecret'), 'auth.clientSecret');
      const scope = str(p, a.scope, 'auth.scope', { required: false });
      const audience = str(p, a.audience, 'auth.audience', { required: false });
      const clientAuth = a.clientAuth ?? 'body';
      if (clientAuth !== 'body' && clientAuth !== 'basic') p.add('auth.clientAuth', 'must be "body" or "basic"');
      if (tokenUrl === undefined || clientId === undefined || clientSecret === undefined) return undefined;
      return {
        type,
        tokenUrl,
        clientId,
        clientSecret,
        clientAuth: clientAuth as 'body' | 'basic',
        ...(scope ? { scope } : {}),
        ...(audience ? { audience } : {}),
      };
    }
    case 'oauth2_refresh_token': {
      unknownKeys(p, a, 'auth', ['type', 'tokenUrl', 'clientId', 'clientSecret', 'refreshToken']);
      const tokenUrl = checkUrl(p, a.tokenUrl, 'auth.tokenUrl');
      const clientId = str(p, a.clientId, 'auth.clientId');
      const clientSecret = str(p, secret('clientSecret'), 'auth.clientSecret', { required: false });
      const refreshToken = str(p, secret('refreshToken'), 'auth.refreshToken');
      if (tokenUrl === undefined || clientId === undefined || refreshToken === undefined) return undefined;
      return { type, tokenUrl, clientId, refreshToken, ...(clientSecret ? { clientSecret } : {}) };
    }
  }
}

/** Stands in for a secret that must be sent again, so it is reported once rather than also as "is required". */
const MOVED = '(must be sent again)';

const originOf = (url: unknown): string | undefined => {
  try {
    return typeof url === 'string' ? new URL(url).origin : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The origins a connector's auth secrets go to, which they are bound to: the base URL's for static
 * credentials; for OAuth, the token URL's (where the client secret and refresh token are sent) and the
 * base URL's (where the tokens they buy are sent, as good as the secret for that API).
 * Undefined while a URL is not valid.
 */
export function destinationOf(baseUrl: string, auth: { type?: unknown; tokenUrl?: unknown }): string[] | undefined {
  const base = originOf(baseUrl);
  if (base === undefined) return undefined;
  if (auth.type !== 'oauth2_client_credentials' && auth.type !== 'oauth2_refresh_token') return [base];
  const token = originOf(auth.tokenUrl);
  return token === undefined ? undefined : [token, base];
}

/** The additional data a secret is encrypted with: its field and its destination. */
const bindingText = (field: string, destination: string[]): string => `callout connector secret\n${field}\n${destination.join('\n')}`;

function checkUrl(p: Problems, v: unknown, field: string): string | undefined {
  const s = str(p, v, field);
  if (s === undefined) return undefined;
  try {
    const u = new URL(s);
    if (u.protocol === 'http:' || u.protocol === 'https:') return s;
  } catch {
    /* reported below */
  }
  return void p.add(field, 'must be an absolute http or https URL');
}

/** The stored document: the spec with every secret encrypted, auth secrets bound to their destination. */
export function connectorToDoc(spec: ConnectorSpec, box: SecretBox): Doc {
  const auth: Doc = { ...spec.auth };
  const destination = destinationOf(spec.baseUrl, spec.auth)!;
  for (const k of SECRET_AUTH_FIELDS[spec.auth.type])
    if (auth[k] !== undefined)
      auth[k] = { ...box.encrypt(JSON.stringify(auth[k]), bindingText(k, destination)), origin: destination.join(' ') } satisfies Encrypted;
  // The inbound secret checks callbacks coming in; it is never sent anywhere, so it has no destination.
  return { ...spec, auth, inboundSecret: spec.inboundSecret === null ? null : box.encrypt(spec.inboundSecret) };
}

/**
 * In a stored document whose last writes only kept rotated refresh tokens: the revision before the
 * first of them (a builder's screen read on it or since is current). Any other write leaves it out.
 */
export const TOKEN_ROTATED_FROM = 'tokenRotatedFrom';

/**
 * The spec with its secrets decrypted. A bound secret opens only with the destination the document
 * names now: one whose URLs were changed without sending it again is left out (not set), whatever code
 * wrote the document. Secrets stored before the binding open as they are and are bound on the next write.
 */
export function connectorFromDoc(stored: Doc, box: SecretBox): ConnectorSpec {
  const { [TOKEN_ROTATED_FROM]: _rotatedFrom, ...doc } = stored;
  const auth: Doc = { ...(doc.auth as Doc) };
  const destination = destinationOf(doc.baseUrl as string, auth);
  for (const [k, v] of Object.entries(auth)) {
    if (!isEncrypted(v)) continue;
    if (v.origin === undefined) auth[k] = JSON.parse(box.decrypt(v));
    else if (destination !== undefined && v.origin === destination.join(' '))
      auth[k] = JSON.parse(box.decrypt(v, bindingText(k, destination)));
    else delete auth[k];
  }
  const inbound = doc.inboundSecret;
  return {
    ...(doc as unknown as ConnectorSpec),
    auth: auth as unknown as AuthSpec,
    inboundSecret: isEncrypted(inbound) ? box.decrypt(inbound) : null,
  };
}

/** The API view: durations in ms and named, secrets replaced by the list of those that are set. */
export function connectorView(
  id: string,
  spec: ConnectorSpec,
  meta: { revision: number; createdAt: number; updatedAt: number },
): Omit<ConnectorView, 'status'> {
  const auth: Doc & { type: AuthSpec['type'] } = { ...spec.auth };
  const secretsSet: string[] = [];
  for (const k of SECRET_AUTH_FIELDS[spec.auth.type]) {
    if (auth[k] !== undefined) secretsSet.push(`auth.${k}`);
    delete auth[k];
  }
  // `?? {}`: headers left out because they no longer open for this destination (connectorFromDoc).
  if (spec.auth.type === 'header') auth.headerNames = Object.keys(spec.auth.headers ?? {});
  if (spec.inboundSecret) secretsSet.push('inboundSecret');
  return {
    id,
    name: spec.name,
    description: spec.description,
    baseUrl: spec.baseUrl,
    auth,
    headers: spec.headers,
    rateLimits: spec.rateLimits.map((r) => ({ limit: r.limit, per: r.perMs })),
    maxConcurrency: spec.maxConcurrency,
    circuitBreaker: circuitOptions(spec),
    timeout: spec.timeoutMs,
    secretsSet,
    revision: meta.revision,
    createdAt: new Date(meta.createdAt).toISOString(),
    updatedAt: new Date(meta.updatedAt).toISOString(),
  };
}

/** The option form of a spec, for merging a PATCH onto it (secrets left out: compile keeps them). */
export function connectorPatchBase(spec: ConnectorSpec): Doc {
  const auth: Doc = { ...spec.auth };
  for (const k of SECRET_AUTH_FIELDS[spec.auth.type]) delete auth[k];
  return {
    name: spec.name,
    description: spec.description ?? undefined,
    baseUrl: spec.baseUrl,
    auth,
    headers: spec.headers,
    rateLimits: spec.rateLimits.map((r) => ({ limit: r.limit, per: r.perMs })),
    maxConcurrency: spec.maxConcurrency ?? undefined,
    circuitBreaker: circuitOptions(spec),
    timeout: spec.timeoutMs,
  };
}

function circuitOptions(spec: ConnectorSpec): { failureThreshold: number; cooldown: number } | false {
  // Documents stored before the breaker existed get the default.
  const cb = spec.circuitBreaker === undefined ? DEFAULT_CIRCUIT_BREAKER : spec.circuitBreaker;
  return cb === null ? false : { failureThreshold: cb.failureThreshold, cooldown: cb.cooldownMs };
}
