// Keeping a connector's secrets out of what Callout records or shows: an external system may echo
// the request back (headers in an error body), so text derived from its answer is searched for the
// handful of secret strings the connector put on the wire before it is kept.

import type { AuthSpec } from '../connector.ts';
import { hasCredentialWord } from './credential-names.ts';

/** What a secret found in recorded text is replaced by. */
export const REDACTED = '[redacted]';
/** What a preview shows for a header the connector's authentication adds when sending: named, never its value. */
export const ADDED_BY_AUTH = '(added from the connector’s authentication)';
/** Shorter values are not searched for: they would match everywhere (and guard nothing). */
export const MIN_SECRET_CHARS = 4;

/** Replaces a fixed set of secret strings in text; `Redactor.none` does nothing and costs nothing. */
export class Redactor {
  static readonly none = new Redactor([]);
  /** Private (not an own enumerable property), so a logged or serialised result never carries them. */
  readonly #secrets: readonly string[];

  private constructor(secrets: readonly string[]) {
    this.#secrets = secrets;
  }

  /**
   * A redactor for these values, plus the forms an echo may show them in (a `Basic` credential
   * decoded, JSON-escaped). Values shorter than MIN_SECRET_CHARS are skipped; a value containing
   * another is dropped, as redacting the inner one already hides it.
   */
  static of(values: Iterable<string | undefined>): Redactor {
    const all = new Set<string>();
    for (const v of values) if (v !== undefined) for (const form of formsOf(v)) if (form.length >= MIN_SECRET_CHARS) all.add(form);
    return Redactor.ofForms(all);
  }

  private static ofForms(all: Iterable<string>): Redactor {
    const shortestFirst = [...new Set(all)].sort((a, b) => a.length - b.length);
    const kept = shortestFirst.filter((s, i) => !shortestFirst.slice(0, i).some((inner) => s.includes(inner)));
    return kept.length === 0 ? Redactor.none : new Redactor(kept);
  }

  /** This redactor and these values besides (this one when they add nothing). */
  with(values: readonly string[]): Redactor {
    const extra = Redactor.of(values);
    if (!extra.active) return this;
    return this.active ? Redactor.ofForms([...this.#secrets, ...extra.#secrets]) : extra;
  }

  /** False when there is nothing to look for: callers may skip the work. */
  get active(): boolean {
    return this.#secrets.length > 0;
  }

  /** `text` with every occurrence of every secret replaced by REDACTED. */
  text(text: string): string {
    let s = text;
    for (const secret of this.#secrets) if (s.includes(secret)) s = s.split(secret).join(REDACTED);
    return s;
  }

  /**
   * At most about `max` characters of `text`, redacted, with `more` appended when cut. The cut is
   * made before redacting (a big body is never searched past it) but never through a secret: a cut
   * secret would survive as a prefix the search no longer finds.
   */
  excerpt(text: string, max: number, more = ''): string {
    if (text.length <= max) return this.text(text);
    let cut = max;
    for (const secret of this.#secrets) {
      const from = Math.max(0, max - secret.length + 1);
      const i = text.slice(from, max + secret.length - 1).indexOf(secret);
      if (i !== -1) cut = Math.max(cut, from + i + secret.length);
    }
    return `${this.text(text.slice(0, cut))}${more}`;
  }
}

/** The secret values of an auth spec, as stored (the headers sent from them are added by the caller). */
export function authSecrets(auth: AuthSpec): string[] {
  switch (auth.type) {
    case 'none':
      return [];
    case 'basic':
      return [auth.password];
    case 'bearer':
      return [auth.token];
    case 'header':
      // `?? {}`: headers left out because they no longer open for this destination.
      return Object.values(auth.headers ?? {});
    case 'oauth2_client_credentials':
      return [auth.clientSecret];
    case 'oauth2_refresh_token':
      return [auth.clientSecret, auth.refreshToken].filter((s): s is string => s !== undefined);
  }
}

/** Answers by name: every attempt asks about the same few headers (bounded: names come from configuration). */
const credentialNames = new Map<string, boolean>();

/**
 * Header names that carry a credential by their name (`X-Api-Key`, `X-Auth-Token`, `AccessToken`,
 * `Ocp-Apim-Subscription-Key`, a `Cookie`, `X-Jwt`): a builder may put one among a connector's or an
 * action type's plain headers rather than in `auth`. A credential word anywhere marks it
 * (credential-names.ts). `Idempotency-Key` is Callout's own and no secret.
 */
export function isCredentialHeader(name: string): boolean {
  let yes = credentialNames.get(name);
  if (yes === undefined) {
    yes = name.toLowerCase() !== 'idempotency-key' && hasCredentialWord(name);
    if (credentialNames.size >= 10_000) credentialNames.clear();
    credentialNames.set(name, yes);
  }
  return yes;
}

/**
 * Values of credential headers searched for in shown text: shorter ones are more likely a setting
 * (`X-Session-Ttl: 3600`) than a credential, and would be found everywhere.
 */
const MIN_HEADER_CREDENTIAL_CHARS = 12;

/** The values of the credential headers among these headers that are long enough to be credentials: searched for in shown text. */
export function credentialHeaderValues(headers: Record<string, string>): string[] {
  const out: string[] = [];
  for (const k in headers) if (headers[k]!.length >= MIN_HEADER_CREDENTIAL_CHARS && isCredentialHeader(k)) out.push(headers[k]!);
  return out;
}

/**
 * The redactor for an answer to a request with these headers: also hides the credential headers'
 * values, but for one holding `ownedElsewhere` (a callback token, which its own placeholder replaces).
 */
export function withHeaderCredentials(redactor: Redactor, headers: Record<string, string>, ownedElsewhere = ''): Redactor {
  const values = credentialHeaderValues(headers).filter((v) => ownedElsewhere === '' || !v.includes(ownedElsewhere));
  return values.length === 0 ? redactor : redactor.with(values);
}

/**
 * The headers as a record shows them: each credential header's value replaced by REDACTED, except a
 * value holding `ownedElsewhere` (a callback token, which its own placeholder replaces later).
 */
export function withCredentialsRedacted(headers: Record<string, string>, ownedElsewhere = ''): Record<string, string> {
  let out: Record<string, string> | undefined;
  for (const k in headers)
    if (isCredentialHeader(k) && !(ownedElsewhere !== '' && headers[k]!.includes(ownedElsewhere))) {
      out ??= { ...headers };
      out[k] = REDACTED;
    }
  return out ?? headers;
}

/** A value and the other forms an echo may show: a header's credential without its scheme, `Basic` decoded, JSON-escaped. */
function formsOf(value: string): string[] {
  const forms = [value];
  const scheme = /^([A-Za-z][\w.+-]*) +(\S.*)$/.exec(value);
  if (scheme) {
    const credential = scheme[2]!;
    forms.push(credential);
    if (scheme[1]!.toLowerCase() === 'basic') {
      const clear = Buffer.from(credential, 'base64').toString('utf8');
      const colon = clear.indexOf(':');
      // user:password, and the password alone (the user name is not a secret).
      if (colon !== -1) forms.push(clear, clear.slice(colon + 1));
    }
  }
  for (const f of [...forms]) {
    const escaped = JSON.stringify(f).slice(1, -1);
    if (escaped !== f) forms.push(escaped);
    if (f.includes('/')) forms.push(escaped.replaceAll('/', '\\/')); // some encoders escape `/` too
  }
  return forms;
}
