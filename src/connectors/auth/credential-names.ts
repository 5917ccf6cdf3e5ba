// The words that mark a name as a credential's (a header, a body key, a query parameter): one list for
// the server, which shows such headers redacted to those who may not see them, and for the builder's
// cURL import, which leaves such values out. A name is split into words at `-`, `_`, `.` and camelCase;
// a credential word anywhere marks it (`X-Api-Key`, `clientSecret`), a word that only contains one does
// not (`X-Tokenizer`, `author`). A few words are credentials only as a parameter's whole name (CREDENTIAL_PARAMETERS).

export const CREDENTIAL_WORDS: ReadonlySet<string> = new Set([
  'authorization',
  'authentication',
  'auth',
  'cookie',
  'token',
  'authtoken',
  'accesstoken',
  'bearer',
  'jwt',
  'secret',
  'password',
  'passwd',
  'pass',
  'passphrase',
  'pwd',
  'pin',
  'otp',
  'totp',
  'credential',
  'credentials',
  'session',
  'sessionid',
  'signature',
  'sig',
  'hmac',
  'csrf',
  'xsrf',
  'csrftoken',
  'xsrftoken',
  'key',
  'apikey',
  'accesskey',
  'privatekey',
  // PKCE's code_verifier, OAuth 1.0a's oauth_verifier: each trades for an access token.
  'verifier',
]);

/**
 * Credentials only as the whole name of a query or form parameter: OAuth's authorization `code` (a
 * redirect's `?code=`, the token request's `code=`) trades for an access token, where `error_code` or
 * `country_code` is no secret, nor a JSON body's `{"currency": {"code": "EUR"}}` or a `Code` header.
 */
export const CREDENTIAL_PARAMETERS: ReadonlySet<string> = new Set(['code']);

/** The words of a name, lower case: `X-Api-Key`, `x_api_key` and `xApiKey` are all x, api, key. */
export const nameWords = (name: string): string[] =>
  name
    .split(/[-_.\s]|(?<=[a-z0-9])(?=[A-Z])/)
    .filter((w) => w !== '')
    .map((w) => w.toLowerCase());

/** Whether a word of `name` is a credential word. */
export const hasCredentialWord = (name: string): boolean => nameWords(name).some((w) => CREDENTIAL_WORDS.has(w));

/** Whether a query or form parameter named `name` is a credential: a word of it, or all of it (CREDENTIAL_PARAMETERS). */
export function isCredentialParameter(name: string): boolean {
  return hasCredentialWord(name) || CREDENTIAL_PARAMETERS.has(nameWords(name).join(''));
}
