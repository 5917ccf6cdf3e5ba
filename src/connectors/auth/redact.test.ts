import { describe, expect, it } from 'vitest';
import { REDACTED, Redactor, authSecrets, isCredentialHeader, withCredentialsRedacted } from './redact.ts';

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('Redactor: the connector secrets an answer may echo, redacted from what is kept', () => {
  it('redacts a Basic header in its base64 form, the user:password in clear and the password alone', () => {
    const r = Redactor.of([basic('svc', 'ECHO-PASSWORD-SECRET')]);
    const echoed = `{"authorization":"${basic('svc', 'ECHO-PASSWORD-SECRET')}","clear":"svc:ECHO-PASSWORD-SECRET","p":"ECHO-PASSWORD-SECRET"}`;
    const out = r.text(echoed);
    expect(out).not.toContain('ECHO-PASSWORD-SECRET');
    expect(out).not.toContain(Buffer.from('svc:ECHO-PASSWORD-SECRET').toString('base64'));
    expect(out).toBe(`{"authorization":"Basic ${REDACTED}","clear":"svc:${REDACTED}","p":"${REDACTED}"}`);
  });

  it('redacts a bearer token with or without its scheme, and JSON-escaped forms', () => {
    const r = Redactor.of(['Bearer tok/with"quote']);
    expect(r.text('Bearer tok/with"quote')).toBe(`Bearer ${REDACTED}`);
    expect(r.text(JSON.stringify({ a: 'tok/with"quote' }))).toBe(`{"a":"${REDACTED}"}`);
    expect(r.text('{"a":"tok\\/with\\"quote"}')).toBe(`{"a":"${REDACTED}"}`);
  });

  it('skips values too short to search for, and does nothing without secrets', () => {
    expect(Redactor.of(['abc', undefined, '']).active).toBe(false);
    expect(Redactor.of([]).text('abc abc')).toBe('abc abc');
    expect(Redactor.none.excerpt('x'.repeat(10), 4, '…')).toBe('xxxx…');
  });

  it('cuts an excerpt at its length but never through a secret, so no prefix of it survives', () => {
    const r = Redactor.of(['S3CRET-VALUE']);
    const body = `${'a'.repeat(95)}S3CRET-VALUE${'b'.repeat(1000)}`;
    const cut = r.excerpt(body, 100, '…');
    expect(cut).toBe(`${'a'.repeat(95)}${REDACTED}…`);
    expect(r.excerpt(`${'a'.repeat(100)}S3CRET-VALUE`, 100, '…')).toBe(`${'a'.repeat(100)}…`);
    expect(r.excerpt('short S3CRET-VALUE', 100)).toBe(`short ${REDACTED}`);
  });

  it('keeps the secrets out of the object itself when it is serialised', () => {
    const r = Redactor.of(['Bearer a-long-token-value']);
    expect(JSON.stringify({ r })).not.toContain('a-long-token-value');
  });

  it('names the stored secrets of every auth type', () => {
    expect(authSecrets({ type: 'none' })).toEqual([]);
    expect(authSecrets({ type: 'basic', username: 'u', password: 'p4ss' })).toEqual(['p4ss']);
    expect(authSecrets({ type: 'header', headers: { 'X-Api-Key': 'k3y-value' } })).toEqual(['k3y-value']);
    expect(
      authSecrets({ type: 'oauth2_refresh_token', tokenUrl: 'https://a/t', clientId: 'c', clientSecret: 'cs-1', refreshToken: 'rt-1' }),
    ).toEqual(['cs-1', 'rt-1']);
  });
});

describe('credential headers among plain headers', () => {
  it("are told by their names; Callout's own and ordinary ones are not", () => {
    for (const name of [
      'Authorization',
      'cookie',
      'X-Api-Key',
      'apikey',
      'X-Auth-Token',
      'Private-Token',
      'x-access-key',
      'X-Client-Secret',
      'X-Signature',
      'X-Authorization',
      'X-Authentication',
      'Ocp-Apim-Subscription-Key',
      'X-RapidAPI-Key',
      'DD-APPLICATION-KEY',
      'AccessToken',
      'X-AuthToken',
      'x-authtoken',
      // An outside review found these shown in plain text to operators.
      'X-Jwt',
      'X-Hmac',
      'X-Pass',
      'X-Passphrase',
      'X-Csrftoken',
      'X-CSRF-Token',
      'Bearer',
      'X-Sig',
      'X-Pin',
      'X-Otp',
      'X-Code-Verifier',
    ])
      expect(isCredentialHeader(name), name).toBe(true);
    for (const name of [
      'Idempotency-Key',
      'idempotency-key',
      'Content-Type',
      'X-Tenant',
      'Accept',
      'X-Request-Id',
      'x-tokenizer',
      'author',
      'Keyboard',
      'X-Passthrough',
      'X-Pinned',
      'X-Signal',
      'X-Error-Code',
      'Code',
      'X-Country-Code',
    ])
      expect(isCredentialHeader(name), name).toBe(false);
  });

  it('are shown redacted, the others as they are (the same object when there is nothing to hide)', () => {
    const plain = { 'content-type': 'application/json', 'idempotency-key': 'k1' };
    expect(withCredentialsRedacted(plain)).toBe(plain);
    expect(withCredentialsRedacted({ ...plain, 'x-api-key': 'abc123' })).toEqual({ ...plain, 'x-api-key': REDACTED });
  });

  it('a redactor with more values hides both sets; with none it is the same redactor', () => {
    const r = Redactor.of(['conn-secret-1']);
    expect(r.with([])).toBe(r);
    expect(r.with(['ab'])).toBe(r); // too short to search for
    const both = r.with(['hdr-secret-2']);
    expect(both.text('conn-secret-1 hdr-secret-2 plain')).toBe(`${REDACTED} ${REDACTED} plain`);
    expect(r.text('hdr-secret-2')).toBe('hdr-secret-2');
    expect(Redactor.none.with(['hdr-secret-2']).text('"hdr-secret-2"')).toBe(`"${REDACTED}"`);
  });
});
