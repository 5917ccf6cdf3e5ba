// A cURL command line (as copied from browser devtools, Postman or API docs) read into the parts of an
// action type: method, path under the connector's base URL, headers, body. Credentials in the line are
// left out and named (never their values): they belong in the connector's auth, encrypted at rest.
// Our own small tokenizer rather than shell-quote: that one reads an unclosed quote without a word of
// complaint, turns `\`-newline into an empty argument and `$VAR` into nothing, and costs bundle budget.

import { hasCredentialWord, isCredentialParameter } from '../../connectors/auth/credential-names.ts';

/** Longer pastes are refused before any parsing, so a huge one cannot hang the tab. */
export const MAX_CURL_CHARS = 100_000;

export class CurlError extends Error {}

export interface CurlRequest {
  /** Undefined when the line asks for a method an action type cannot send. */
  method?: string;
  /** The URL without credentials (userinfo, secret query parameters) or fragment. */
  url: string;
  headers: Array<[string, string]>;
  /** A form body's template is one `key: value` line per field, as the form edits it. */
  body: { format: 'json' | 'form' | 'none'; template: string };
  /** Credentials found and left out, by name only. */
  leftOut: string[];
  warnings: string[];
  /** Options that change nothing in an action type (curl's own output, transport). */
  ignored: string[];
}

const ANSI: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', v: '\v' };

/** The words of a POSIX shell line, quotes and escapes removed; `cut`: the operator that ended the command. */
export function shellWords(line: string): { words: string[]; cut?: string; expands: boolean } {
  if (/\^\r?\n|\^"/.test(line)) throw new CurlError('This is a line for Windows cmd (^ escapes): copy it as cURL (bash) instead.');
  const words: string[] = [];
  let w = '';
  let inWord = false;
  let expands = false;
  let i = 0;
  const open = (kind: string, at: number): CurlError => new CurlError(`The ${kind} quote at character ${at + 1} is never closed.`);
  for (; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\') {
      const d = line[++i];
      if (d === '\r' && line[i + 1] === '\n') i++;
      else if (d !== undefined && d !== '\n') {
        w += d;
        inWord = true;
      }
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw open('single', i);
      w += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '$' && line[i + 1] === "'") {
      const start = i;
      for (i += 2; line[i] !== "'"; i++) {
        if (i >= line.length) throw open("$'", start);
        if (line[i] !== '\\') w += line[i];
        else {
          const e = line[++i] ?? '';
          const hex = /^(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3})/.exec(line.slice(i, i + 9))?.[0];
          if (hex) {
            const cp = hex[0]! <= '7' ? parseInt(hex, 8) : parseInt(hex.slice(1), 16);
            w += cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
            i += hex.length - 1;
          } else w += ANSI[e] ?? (`\\'"?`.includes(e) ? e : `\\${e}`);
        }
      }
      inWord = true;
    } else if (c === '"') {
      const start = i;
      for (i++; line[i] !== '"'; i++) {
        if (i >= line.length) throw open('double', start);
        const d = line[i];
        if (d === '\\' && '$`"\\\n'.includes(line[i + 1] ?? 'x')) {
          if (line[++i] !== '\n') w += line[i];
        } else {
          if (d === '$' || d === '`') expands = true;
          w += d;
        }
      }
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(w);
      w = '';
      inWord = false;
    } else if (c === '#' && !inWord) {
      while (i < line.length && line[i] !== '\n') i++;
    } else if ('|&;<>'.includes(c)) {
      if (inWord) words.push(w);
      return { words, cut: c, expands };
    } else {
      if (c === '$' || c === '`') expands = true;
      w += c;
      inWord = true;
    }
  }
  if (inWord) words.push(w);
  return { words, expands };
}

/**
 * Names of credentials: headers, query or form parameters and body keys that must not be copied (a word
 * of credential-names.ts, or one written together, as `clientsecret`; a parameter named `code`).
 */
export function isSecretName(name: string, where: 'header' | 'parameter' | 'body' = 'body'): boolean {
  const n = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  // Callout's own Idempotency-Key is no secret.
  if (n === 'idempotencykey') return false;
  return (
    /password|passwd|secret|token|apikey|accesskey|privatekey|credential|signature|cookie|sessionid|authoriz|authentic/.test(n) ||
    /^x?auth(?!or)/.test(n) ||
    (where === 'parameter' ? isCredentialParameter(name) : hasCredentialWord(name)) ||
    (where === 'header' && n.endsWith('key'))
  );
}

const FLAGS: Record<string, string> = {
  G: 'get',
  I: 'head',
  k: 'insecure',
  L: 'location',
  s: 'silent',
  S: 'show-error',
  v: 'verbose',
  i: 'include',
  f: 'fail',
  N: 'no-buffer',
  g: 'globoff',
  O: 'remote-name',
  n: 'netrc',
  j: 'junk-session-cookies',
  '#': 'progress-bar',
  '4': 'ipv4',
  '6': 'ipv6',
};
const VALUED: Record<string, string> = {
  X: 'request',
  H: 'header',
  d: 'data',
  F: 'form',
  u: 'user',
  A: 'user-agent',
  e: 'referer',
  b: 'cookie',
  o: 'output',
  m: 'max-time',
  x: 'proxy',
  c: 'cookie-jar',
  w: 'write-out',
  T: 'upload-file',
  E: 'cert',
  U: 'proxy-user',
  K: 'config',
  r: 'range',
  D: 'dump-header',
  C: 'continue-at',
  Y: 'speed-limit',
  y: 'speed-time',
};
const LONG_FLAGS = new Set([
  ...Object.values(FLAGS),
  'compressed',
  'http1.1',
  'http2',
  'http2-prior-knowledge',
  'http3',
  'fail-with-body',
  'no-progress-meter',
  'digest',
  'basic',
  'ntlm',
  'anyauth',
  'negotiate',
  'location-trusted',
  'path-as-is',
  'raw',
  'tr-encoding',
  'tcp-nodelay',
  'tlsv1.2',
  'tlsv1.3',
  'ssl-no-revoke',
  'create-dirs',
  'styled-output',
]);
const LONG_VALUED = new Set([
  ...Object.values(VALUED),
  'data-raw',
  'data-binary',
  'data-ascii',
  'data-urlencode',
  'json',
  'form-string',
  'url',
  'connect-timeout',
  'retry',
  'retry-delay',
  'retry-max-time',
  'max-redirs',
  'limit-rate',
  'resolve',
  'connect-to',
  'interface',
  'oauth2-bearer',
  'aws-sigv4',
  'key',
  'pass',
  'cacert',
  'capath',
  'proxy-header',
  'unix-socket',
  'trace',
  'trace-ascii',
  'stderr',
  'url-query',
]);
const DATA = new Set(['data', 'data-raw', 'data-binary', 'data-ascii', 'data-urlencode', 'json']);
const CREDENTIAL_OPTIONS: Record<string, string> = {
  user: 'the user and password of -u',
  'oauth2-bearer': 'the token of --oauth2-bearer',
  cookie: 'the cookies of -b',
  cert: 'the client certificate of --cert',
  key: 'the private key of --key',
  pass: 'the key password of --pass',
  'proxy-user': 'the proxy credentials of -U',
};
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const DROPPED_HEADERS =
  /^(content-length|host|connection|keep-alive|transfer-encoding|te|expect|upgrade|accept-encoding|priority|sec-.*)$/i;

/** A URL split as the engine compares it with a base: origin (lower case, default port dropped), path, query. */
function splitUrl(url: string): { origin: string; path: string; query: string; userinfo: boolean } {
  const full = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`;
  const m = /^([^:]+):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/.exec(full)!;
  const scheme = m[1]!.toLowerCase();
  const at = m[2]!.lastIndexOf('@');
  const host = m[2]!
    .slice(at + 1)
    .toLowerCase()
    .replace(scheme === 'https' ? /:443$/ : /:80$/, '');
  return { origin: `${scheme}://${host}`, path: m[3]!, query: m[4] ?? '', userinfo: at >= 0 };
}

/** The path template for `url` under the connector's `baseUrl`, query kept; undefined when not under it. */
export function pathUnder(url: string, baseUrl: string): string | undefined {
  const u = splitUrl(url);
  const b = splitUrl(baseUrl);
  const base = b.path.replace(/\/+$/, '');
  if (u.origin !== b.origin || (u.path !== base && !u.path.startsWith(`${base}/`))) return undefined;
  return u.path.slice(base.length) + (u.query ? `?${u.query}` : '');
}

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
};

/**
 * Blanks the values of secret keys anywhere in a JSON value (tokens `{{ }}` are not secrets); the keys
 * blanked. Under a secret key that holds an object or a list (`"credentials": {"value": ...}`,
 * `"api_keys": [...]`), every value is blanked: the names inside say nothing.
 */
function blankSecrets(json: unknown, found: string[]): void {
  // A loop, not recursion: a body nested 40,000 deep is a valid paste and must not overflow the stack.
  const todo: Array<{ v: unknown; under?: string }> = [{ v: json }];
  while (todo.length) {
    const { v, under } = todo.pop()!;
    if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        const secret = under ?? (isSecretName(k) ? k : undefined);
        if (secret !== undefined && (typeof x === 'number' || (typeof x === 'string' && x !== '' && !x.includes('{{')))) {
          (v as Record<string, unknown>)[k] = '';
          const name = `the body's ${secret}`;
          if (!found.includes(name)) found.push(name);
        } else todo.push({ v: x, ...(secret !== undefined ? { under: secret } : {}) });
      }
  }
}

/** The credential-named keys of a JSON-like text that does not parse (quoted or not), so nothing can be blanked in it. */
function secretKeysIn(text: string): string[] {
  const keys = [...text.matchAll(/([\w$.-]{1,100})["']?\s*:/g)].map((m) => m[1]!);
  return [...new Set(keys.filter((k) => isSecretName(k)))];
}

/** Reads a cURL command line; throws CurlError when it cannot be read at all (which part, and why). */
export function parseCurl(line: string): CurlRequest {
  if (line.length > MAX_CURL_CHARS) throw new CurlError(`The line is ${line.length} characters long; at most ${MAX_CURL_CHARS} are read.`);
  const { words, cut, expands } = shellWords(line);
  const warnings: string[] = [];
  const leftOut: string[] = [];
  const ignored: string[] = [];
  const unknown: string[] = [];
  if (words[0] === '$') words.shift();
  if (!/^curl(\.exe)?$/i.test(words[0] ?? '')) throw new CurlError('The line must start with curl.');
  if (cut) warnings.push(`The line was read up to the first unquoted ${cut}, as a shell would run it.`);
  if (expands) warnings.push('The line uses $ or ` expansions, kept as typed: replace them with values or {{ tokens }}.');

  let method: string | undefined;
  let url: string | undefined;
  let extraUrls = 0;
  let get = false;
  let head = false;
  let json = false;
  let upload = false;
  let multipart = false;
  const data: string[] = [];
  const headers: Array<[string, string]> = [];
  const option = (name: string, value: string | undefined): void => {
    if (name === 'request') method = value!.toUpperCase();
    else if (name === 'header') {
      if (value!.startsWith('@')) warnings.push('Headers read from a file (-H @file) cannot be imported.');
      else {
        const colon = value!.search(/[:;]/);
        const k = (colon < 0 ? value! : value!.slice(0, colon)).trim();
        const v = colon < 0 ? '' : value!.slice(colon + 1).trim();
        if (k && v) headers.push([k, v]);
      }
    } else if (DATA.has(name)) {
      let d = value!;
      if (name === 'json') json = true;
      if (name === 'data-urlencode') {
        const sep = d.search(/[=@]/);
        if (d[sep] === '@') d = '@';
        else d = sep < 0 ? encodeURIComponent(d) : `${d.slice(0, sep)}${sep > 0 ? '=' : ''}${encodeURIComponent(d.slice(sep + 1))}`;
      }
      if (d.startsWith('@') && name !== 'data-raw')
        warnings.push(`A body read from a file (--${name} @file) cannot be imported: it was left out.`);
      else data.push(d);
    } else if (name === 'form' || name === 'form-string') {
      multipart = true;
      warnings.push('A multipart form (-F) is not supported: an action type sends JSON, a form (urlencoded) or no body.');
    } else if (name === 'user-agent') headers.push(['User-Agent', value!]);
    else if (name === 'referer') headers.push(['Referer', value!.replace(/;auto$/, '')]);
    else if (name === 'url') {
      if (url === undefined) url = value;
      else extraUrls++;
    } else if (name in CREDENTIAL_OPTIONS) leftOut.push(CREDENTIAL_OPTIONS[name]!);
    else if (name === 'get') get = true;
    else if (name === 'head') head = true;
    else if (name === 'upload-file') {
      upload = true;
      warnings.push('An upload from a file (-T) cannot be imported: the body was left out.');
    } else if (name === 'insecure')
      warnings.push('The line turns off TLS certificate checks (-k): Callout always checks them, and the connector cannot turn that off.');
    else if (name === 'location') warnings.push('The line follows redirects (-L); Callout does not: use the final URL.');
    else if (name === 'config') warnings.push('Options read from a file (-K) cannot be imported.');
    else ignored.push(`--${name}`);
  };

  for (let i = 1; i < words.length; i++) {
    const word = words[i]!;
    const takeValue = (name: string, inline?: string): void => {
      const value = inline || words[++i];
      if (value === undefined) throw new CurlError(`--${name} needs a value, and the line ends there.`);
      option(name, value);
    };
    if (word.startsWith('--')) {
      const name = word.slice(2);
      if (LONG_VALUED.has(name)) takeValue(name);
      else if (LONG_FLAGS.has(name) || name.startsWith('no-')) option(name, undefined);
      // Named without what follows an `=`: `--user=alice:secret` is a credential.
      else unknown.push(word.split('=')[0]!);
    } else if (word.startsWith('-') && word.length > 1) {
      for (let j = 1; j < word.length; j++) {
        const letter = word[j]!;
        if (VALUED[letter]) {
          takeValue(VALUED[letter], word.slice(j + 1));
          break;
        }
        if (!FLAGS[letter]) {
          unknown.push(`-${letter}`);
          break;
        }
        option(FLAGS[letter], undefined);
      }
    } else if (url === undefined) url = word;
    else extraUrls++;
  }
  if (url === undefined) throw new CurlError('The line has no URL.');
  if (unknown.length) warnings.push(`Unknown options, not imported: ${unknown.join(', ')}.`);
  if (extraUrls) warnings.push(`Only the first URL was imported; ${extraUrls} more word(s) that are not options were left out.`);

  let body: CurlRequest['body'] = { format: 'none', template: '' };
  const joined = data.join(json ? '' : '&');
  const u = splitUrl(url);
  let query = u.query;
  if (get && data.length) query = [query, joined].filter(Boolean).join('&');
  if (u.userinfo) leftOut.push('the user and password in the URL');

  const ct = headers.find(([k]) => /^content-type$/i.test(k))?.[1].toLowerCase() ?? (json ? 'application/json' : '');
  if (data.length && !get) {
    const parsed = ((): unknown => {
      try {
        return JSON.parse(joined) as unknown;
      } catch {
        return undefined;
      }
    })();
    if (ct.includes('json') || (!ct && parsed !== undefined && /^\s*[[{]/.test(joined))) {
      body = { format: 'json', template: joined };
      const unread = parsed === undefined ? secretKeysIn(joined) : [];
      // Not JSON, so no value in it can be blanked: kept as typed, it would carry the credential into the template.
      if (unread.length) {
        body.template = '';
        leftOut.push(`the body, which is not valid JSON and has credential-named keys (${unread.join(', ')}): write its template by hand`);
      } else if (parsed === undefined) warnings.push('The body is not valid JSON: correct the template before saving.');
      const found: string[] = [];
      blankSecrets(parsed, found);
      if (found.length) {
        leftOut.push(...found);
        try {
          body.template = JSON.stringify(parsed, null, 2);
        } catch {
          throw new CurlError('The JSON body is nested too deeply to be read.');
        }
      }
    } else if ((!ct || ct.includes('x-www-form-urlencoded')) && joined.split('&').every((p) => p.includes('='))) {
      const lines: string[] = [];
      for (const pair of joined.split('&')) {
        const [k, v] = [decode(pair.slice(0, pair.indexOf('='))), decode(pair.slice(pair.indexOf('=') + 1))];
        if (isSecretName(k, 'parameter')) leftOut.push(`the form field ${k}`);
        else lines.push(`${k}: ${v.replace(/\r?\n/g, ' ')}`);
      }
      body = { format: 'form', template: lines.join('\n') };
    } else warnings.push(`The body (${ct || 'plain text'}) cannot be sent by an action type, which sends JSON or a form: it was left out.`);
  }
  const keptQuery = query
    .split('&')
    .filter((p) => {
      const secret = p !== '' && isSecretName(decode(p.split('=')[0]!), 'parameter');
      if (secret) leftOut.push(`the query parameter ${decode(p.split('=')[0]!)}`);
      return p !== '' && !secret;
    })
    .join('&');

  const kept: Array<[string, string]> = [];
  for (const [k, v] of headers) {
    if (isSecretName(k, 'header') || /^(bearer|basic|digest|token)\s/i.test(v)) leftOut.push(`the ${k} header`);
    else if (/^content-type$/i.test(k)) {
      // The body format sets the content type; a JSON type of its own (application/merge-patch+json) is kept.
      if (body.format === 'json' && !/^application\/json\s*(;|$)/.test(v.toLowerCase())) kept.push([k, v]);
    } else if (!DROPPED_HEADERS.test(k)) kept.push([k, v]);
  }
  if (json && !kept.some(([k]) => /^accept$/i.test(k))) kept.push(['Accept', 'application/json']);

  method ??= head ? 'HEAD' : (data.length && !get) || multipart ? 'POST' : upload ? 'PUT' : 'GET';
  if (!METHODS.includes(method)) {
    warnings.push(`The method ${method} is not one an action type sends (${METHODS.join(', ')}): the method was left as it was.`);
    method = undefined;
  }
  return {
    method,
    url: `${u.origin}${u.path}${keptQuery ? `?${keptQuery}` : ''}`,
    headers: kept,
    body,
    leftOut,
    warnings,
    ignored,
  };
}
