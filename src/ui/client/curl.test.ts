import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CurlError, MAX_CURL_CHARS, isSecretName, parseCurl, pathUnder, shellWords } from './curl.ts';
import { importCurl } from './pages/curl-import.ts';
import { formOf } from './pages/action-type-form.ts';

const SECRETS = ['abc123SECRET', 'hunter2SECRET', 'sk_test_SECRET', 'sid=SESSIONSECRET', 'qSECRET'];
const noSecret = (x: unknown): void => {
  const text = JSON.stringify(x);
  for (const s of SECRETS) expect(text).not.toContain(s);
};

describe('shellWords', () => {
  it('reads quotes, escapes, ANSI-C strings and line continuations as bash does', () => {
    expect(shellWords(`curl 'a b' "c \\"d\\" \\$e" f\\ g $'h\\ni\\'j\\x41\\u00e9' \\\n  k`).words).toEqual([
      'curl',
      'a b',
      'c "d" $e',
      'f g',
      "h\ni'jAé",
      'k',
    ]);
    expect(shellWords('curl a\\\r\n b').words).toEqual(['curl', 'a', 'b']);
    expect(shellWords(`curl 'x'"y"z`).words).toEqual(['curl', 'xyz']);
    expect(shellWords(`curl ''`).words).toEqual(['curl', '']);
  });

  it('ends the command at an unquoted operator and skips comments', () => {
    expect(shellWords(`curl 'https://x/?a=1&b=2' | jq .`)).toMatchObject({ words: ['curl', 'https://x/?a=1&b=2'], cut: '|' });
    expect(shellWords('curl https://x/?a=1&b=2')).toMatchObject({ words: ['curl', 'https://x/?a=1'], cut: '&' });
    expect(shellWords('# create a ticket\ncurl x # the end').words).toEqual(['curl', 'x']);
  });

  it('refuses an unclosed quote, saying which and where', () => {
    expect(() => shellWords(`curl 'https://x -H "a: b"`)).toThrow(new CurlError('The single quote at character 6 is never closed.'));
    expect(() => shellWords(`curl -d "{\\"a\\": 1}' x`)).toThrow(new CurlError('The double quote at character 9 is never closed.'));
    expect(() => shellWords(`curl -d $'abc\\'`)).toThrow(new CurlError("The $' quote at character 9 is never closed."));
  });

  it('refuses a line quoted for Windows cmd', () => {
    expect(() => shellWords('curl ^"https://x/^" ^\n  -H ^"a: b^"')).toThrow(/Windows cmd/);
  });
});

describe('parseCurl', () => {
  it('reads the line of the task: method, URL, headers, JSON body; the Authorization header left out', () => {
    const r = parseCurl(
      `curl -X POST 'https://desk.example.com/api/tickets?x=1' -H 'Content-Type: application/json' -H 'Authorization: Bearer abc123SECRET' --data-raw '{"title":"x"}'`,
    );
    expect(r).toEqual({
      method: 'POST',
      url: 'https://desk.example.com/api/tickets?x=1',
      headers: [],
      body: { format: 'json', template: '{"title":"x"}' },
      leftOut: ['the Authorization header'],
      warnings: [],
      ignored: [],
    });
  });

  it('reads a Chrome devtools copy: browser headers and cookies dropped, $-quoted body, POST by default', () => {
    const r = parseCurl(`curl 'https://desk.example.com/api/tickets' \\
  -H 'accept: application/json, text/plain, */*' \\
  -H 'accept-language: en-GB,en;q=0.9' \\
  -H 'content-type: application/json' \\
  -b 'sid=SESSIONSECRET; theme=dark' \\
  -H 'origin: https://desk.example.com' \\
  -H 'priority: u=1, i' \\
  -H 'sec-ch-ua: "Chromium";v="130"' \\
  -H 'sec-fetch-mode: cors' \\
  -H 'user-agent: Mozilla/5.0' \\
  -H 'x-csrf-token: abc123SECRET' \\
  --data-raw $'{"title":"Printer\\'s jam","lines":["a\\\\nb"]}'`);
    expect(r.method).toBe('POST');
    expect(r.headers).toEqual([
      ['accept', 'application/json, text/plain, */*'],
      ['accept-language', 'en-GB,en;q=0.9'],
      ['origin', 'https://desk.example.com'],
      ['user-agent', 'Mozilla/5.0'],
    ]);
    expect(r.body).toEqual({ format: 'json', template: `{"title":"Printer's jam","lines":["a\\nb"]}` });
    expect(JSON.parse(r.body.template)).toEqual({ title: "Printer's jam", lines: ['a\nb'] });
    expect(r.leftOut).toEqual(['the cookies of -b', 'the x-csrf-token header']);
    noSecret(r);
  });

  it('reads a Postman copy: --location, --header, pretty JSON kept as typed', () => {
    const body = '{\n    "title": "Laptop",\n    "priority": 2\n}';
    const r = parseCurl(`curl --location 'https://desk.example.com/api/tickets' \\
--header 'Content-Type: application/json' \\
--header 'X-Tenant: acme' \\
--data '${body}'`);
    expect(r.method).toBe('POST');
    expect(r.headers).toEqual([['X-Tenant', 'acme']]);
    expect(r.body).toEqual({ format: 'json', template: body });
    expect(r.warnings).toEqual(['The line follows redirects (-L); Callout does not: use the final URL.']);
  });

  it('reads an API docs line with -u and form data: a form body, the user and password left out', () => {
    const r = parseCurl(`curl https://api.example.com/v1/customers \\
  -u sk_test_SECRET: \\
  -d name="Jenny Rosen" \\
  --data-urlencode 'note=a&b = c' \\
  -d 'email=jenny%40example.com'`);
    expect(r.method).toBe('POST');
    expect(r.body).toEqual({ format: 'form', template: 'name: Jenny Rosen\nnote: a&b = c\nemail: jenny@example.com' });
    expect(r.leftOut).toEqual(['the user and password of -u']);
    noSecret(r);
  });

  it('reads a GitHub docs line: a JSON body without a content type, a vendor Accept kept', () => {
    const r = parseCurl(`curl -L \\
  -X POST \\
  -H "Accept: application/vnd.github+json" \\
  -H "Authorization: Bearer abc123SECRET" \\
  -H "X-GitHub-Api-Version: 2022-11-28" \\
  https://api.github.com/repos/OWNER/REPO/issues \\
  -d '{"title":"Found a bug","labels":["bug"]}'`);
    expect(r.headers).toEqual([
      ['Accept', 'application/vnd.github+json'],
      ['X-GitHub-Api-Version', '2022-11-28'],
    ]);
    expect(r.body.format).toBe('json');
    expect(r.url).toBe('https://api.github.com/repos/OWNER/REPO/issues');
    noSecret(r);
  });

  it('reads --json as a JSON body with Accept: application/json; keeps a JSON content type of its own', () => {
    expect(parseCurl(`curl --json '{"a":1}' https://x.example/api`)).toMatchObject({
      method: 'POST',
      headers: [['Accept', 'application/json']],
      body: { format: 'json', template: '{"a":1}' },
    });
    expect(
      parseCurl(`curl -X PATCH -H 'Content-Type: application/merge-patch+json' -d '{"a":null}' https://x.example/api/1`),
    ).toMatchObject({ method: 'PATCH', headers: [['Content-Type', 'application/merge-patch+json']], body: { format: 'json' } });
    // The default types follow the body format and are not copied; nor are Content-Length and Host.
    expect(
      parseCurl(
        `curl -H 'Content-Type: application/json; charset=utf-8' -H 'Content-Length: 7' -H 'Host: x' -d '{"a":1}' https://x.example/`,
      ).headers,
    ).toEqual([]);
  });

  it('reads -G: the data goes into the query, the method is GET', () => {
    const r = parseCurl(`curl -G https://x.example/api/search -d limit=5 --data-urlencode 'q=printer jam'`);
    expect(r).toMatchObject({ method: 'GET', url: 'https://x.example/api/search?limit=5&q=printer%20jam', body: { format: 'none' } });
  });

  it('reads combined short options, --url, -A, -e and the flags that change nothing', () => {
    const r = parseCurl(
      `curl -sSXPUT -A 'Callout-test' -e 'https://ref.example/;auto' --compressed -Hx-tenant:acme --url https://x.example/a -d a=1`,
    );
    expect(r).toMatchObject({
      method: 'PUT',
      url: 'https://x.example/a',
      headers: [
        ['User-Agent', 'Callout-test'],
        ['Referer', 'https://ref.example/'],
        ['x-tenant', 'acme'],
      ],
      body: { format: 'form', template: 'a: 1' },
      ignored: ['--silent', '--show-error', '--compressed'],
    });
  });

  it('warns of -k, -F, files and unknown options without failing', () => {
    const r = parseCurl(`curl -k --frobnicate -zq -F 'file=@a.txt' -d @body.json -H @headers.txt https://x.example/up`);
    expect(r.method).toBe('POST');
    expect(r.body.format).toBe('none');
    expect(r.warnings).toEqual([
      'The line turns off TLS certificate checks (-k): Callout always checks them, and the connector cannot turn that off.',
      'A multipart form (-F) is not supported: an action type sends JSON, a form (urlencoded) or no body.',
      'A body read from a file (--data @file) cannot be imported: it was left out.',
      'Headers read from a file (-H @file) cannot be imported.',
      'Unknown options, not imported: --frobnicate, -z.',
    ]);
  });

  it('names an unknown option written with `=` without its value (curl reads no such form; it may be a credential)', () => {
    const r = parseCurl(`curl --user=alice:S3CRET3 --header='X-Api-Key: S3CRET7' --cookie=sid=S3CRET10 https://x.example/`);
    expect(r.warnings).toEqual(['Unknown options, not imported: --user, --header, --cookie.']);
    expect(JSON.stringify(r)).not.toContain('S3CRET');
  });

  it('leaves out every credential and never echoes its value', () => {
    const r = parseCurl(`curl 'https://bob:hunter2SECRET@x.example/api/items?page=2&api_key=abc123SECRET&access_token=qSECRET&author=me' \\
  -H 'X-Api-Key: abc123SECRET' -H 'Ocp-Apim-Subscription-Key: abc123SECRET' -H 'X-Custom: Bearer abc123SECRET' \\
  -H 'Proxy-Authorization: Basic abc123SECRET' -H 'Idempotency-Key: 42' --oauth2-bearer abc123SECRET \\
  --json '{"user":"bob","password":"hunter2SECRET","nested":{"client_secret":"sk_test_SECRET","token":"{{ Token }}"}}'`);
    expect(r.url).toBe('https://x.example/api/items?page=2&author=me');
    expect(r.headers).toEqual([
      ['Idempotency-Key', '42'],
      ['Accept', 'application/json'],
    ]);
    expect(JSON.parse(r.body.template)).toEqual({ user: 'bob', password: '', nested: { client_secret: '', token: '{{ Token }}' } });
    expect(r.leftOut).toEqual([
      'the token of --oauth2-bearer',
      'the user and password in the URL',
      "the body's password",
      "the body's client_secret",
      'the query parameter api_key',
      'the query parameter access_token',
      'the X-Api-Key header',
      'the Ocp-Apim-Subscription-Key header',
      'the X-Custom header',
      'the Proxy-Authorization header',
    ]);
    noSecret(r);
  });

  it('leaves out an OAuth authorization code and verifiers in the query, by name only; a code that is part of a name stays', () => {
    const r = parseCurl(
      `curl 'https://x.example/oauth/callback?code=abc123SECRET&state=xyz&code_verifier=qSECRET&oauth_verifier=hunter2SECRET&error_code=7&country_code=NL'`,
    );
    expect(r.url).toBe('https://x.example/oauth/callback?state=xyz&error_code=7&country_code=NL');
    expect(r.leftOut).toEqual(['the query parameter code', 'the query parameter code_verifier', 'the query parameter oauth_verifier']);
    noSecret(r);
    // The token request sends the code in its form body: left out there too.
    const token = parseCurl(
      `curl https://x.example/oauth/token -d grant_type=authorization_code -d code=abc123SECRET -d promo_code=SPRING`,
    );
    expect(token.body.template).toBe('grant_type: authorization_code\npromo_code: SPRING');
    expect(token.leftOut).toEqual(['the form field code']);
    noSecret(token);
    // A JSON body's or a header's `code` is data, not OAuth's (a review: SKUs and currencies were blanked).
    const data = parseCurl(
      `curl https://x.example/orders -H 'Code: A7' -H 'content-type: application/json' -d '{"items":[{"code":"SKU-1"}],"currency":{"code":"EUR"}}'`,
    );
    expect(data.leftOut).toEqual([]);
    expect(data.headers).toEqual([['Code', 'A7']]);
    expect(JSON.stringify(data.body)).toContain('SKU-1');
    expect(JSON.stringify(data.body)).toContain('EUR');
  });

  it('tells credential names from others', () => {
    for (const n of ['Authorization', 'Cookie', 'X-Auth-Token', 'api_key', 'apiKey', 'client_secret', 'password', 'key', 'X-Session-Id'])
      expect(isSecretName(n, 'header'), n).toBe(true);
    for (const n of ['X-Jwt', 'X-Hmac', 'pin', 'otp', 'X-Passphrase', 'Bearer']) expect(isSecretName(n), n).toBe(true);
    for (const n of ['author', 'authority', 'title', 'Accept', 'X-Request-Id', 'Idempotency-Key'])
      expect(isSecretName(n, 'header'), n).toBe(false);
    expect(isSecretName('monkey')).toBe(false);
  });

  it('says what is wrong with a line it cannot read', () => {
    expect(() => parseCurl('wget https://x.example/')).toThrow(new CurlError('The line must start with curl.'));
    expect(() => parseCurl('curl -H "a: b"')).toThrow(new CurlError('The line has no URL.'));
    expect(() => parseCurl('curl https://x.example/ -H')).toThrow(new CurlError('--header needs a value, and the line ends there.'));
    expect(() => parseCurl('')).toThrow(CurlError);
    expect(parseCurl('$ curl https://x.example/').method).toBe('GET');
  });

  it('refuses a line longer than the bound at once, and reads one just under it quickly', () => {
    const huge = `curl -d '${'a'.repeat(MAX_CURL_CHARS)}' https://x.example/`;
    const t0 = performance.now();
    expect(() => parseCurl(huge)).toThrow(new CurlError(`The line is ${huge.length} characters long; at most ${MAX_CURL_CHARS} are read.`));
    // Many small words, many quotes, a deep JSON body: each near the bound, each read in well under a second.
    const lines = [
      `curl https://x.example/ ${'-H a:b '.repeat(14_000)}`,
      `curl https://x.example/ ${"''".repeat(49_000)}`,
      `curl https://x.example/ --json '${'['.repeat(40_000)}${']'.repeat(40_000)}'`,
      `curl https://x.example/ -d '${'a=1&'.repeat(24_000)}'`,
    ];
    for (const l of lines) {
      expect(l.length).toBeLessThanOrEqual(MAX_CURL_CHARS);
      parseCurl(l);
    }
    expect(performance.now() - t0).toBeLessThan(2_000);
    // Too deep to write back once a credential is blanked: a clear error, not a stack overflow.
    const deep = `curl https://x.example/ --json '${'{"a":'.repeat(16_000)}{"token":"S"}${'}'.repeat(16_000)}'`;
    expect(() => parseCurl(deep)).toThrow(new CurlError('The JSON body is nested too deeply to be read.'));
  });

  it('either reads any text or throws a CurlError, and never echoes a credential it left out', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.constantFrom('', "'", '"', "$'", '\\', '|'), (s, q) => {
        try {
          parseCurl(`curl https://x.example/ ${q}${s}`);
        } catch (e) {
          expect(e).toBeInstanceOf(CurlError);
        }
      }),
    );
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9]{12,30}$/),
        fc.constantFrom('-H "Authorization: Bearer S"', '-u bob:S', "'https://x.example/?token=S'"),
        (secret, part) => {
          const r = parseCurl(`curl https://x.example/ ${part.replace('S', secret)}`);
          expect(JSON.stringify(r)).not.toContain(secret);
        },
      ),
    );
  });
});

describe('pathUnder', () => {
  it('is the path and query under the base URL, on the same origin only', () => {
    expect(pathUnder('https://desk.example.com/api/tickets?x=1', 'https://desk.example.com/api')).toBe('/tickets?x=1');
    expect(pathUnder('https://DESK.example.com:443/api/tickets', 'https://desk.example.com/api/')).toBe('/tickets');
    expect(pathUnder('https://desk.example.com/api', 'https://desk.example.com/api')).toBe('');
    expect(pathUnder('desk.example.com/api/x', 'http://desk.example.com')).toBe('/api/x');
    expect(pathUnder('https://desk.example.com/apix/tickets', 'https://desk.example.com/api')).toBeUndefined();
    expect(pathUnder('http://desk.example.com/api/tickets', 'https://desk.example.com/api')).toBeUndefined();
    expect(pathUnder('https://evil.example/api/tickets', 'https://desk.example.com/api')).toBeUndefined();
    expect(pathUnder('https://desk.example.com.evil.example/api/t', 'https://desk.example.com/api')).toBeUndefined();
  });
});

describe('importCurl', () => {
  const connectors = [
    { id: 'c1', name: 'desk', baseUrl: 'https://desk.example.com/api' },
    { id: 'c2', name: 'crm', baseUrl: 'https://crm.example.com' },
  ];
  const line = `curl -X POST 'https://desk.example.com/api/tickets?x=1' -H 'Content-Type: application/json' -H 'Authorization: Bearer abc123SECRET' -H 'X-Tenant: acme' --data-raw '{"title":"x"}'`;

  it('fills method, path, headers and body, keeps the rest of the form, and says what was left out', () => {
    const f = { ...formOf(undefined), name: 'open-ticket', connector: 'c1', template: 'old' };
    const { form, summary } = importCurl(line, f, connectors);
    expect(form).toEqual({
      ...f,
      method: 'POST',
      path: '/tickets?x=1',
      headers: 'X-Tenant: acme',
      bodyFormat: 'json',
      template: '{"title":"x"}',
    });
    expect(summary.filled).toBe(
      'Filled method POST; path /tickets?x=1; headers X-Tenant; body JSON. Nothing is saved until you save the action type.',
    );
    expect(summary.warnings).toEqual([
      "Left out: the Authorization header. Credentials belong in the connector's authentication, the only place secrets are stored encrypted.",
    ]);
    noSecret(summary);
  });

  it('leaves the path and the connector alone when the URL is on another host, and names a connector it is under', () => {
    const f = { ...formOf(undefined), connector: 'c2', path: '/mine' };
    const { form, summary } = importCurl(line, f, connectors);
    expect(form.connector).toBe('c2');
    expect(form.path).toBe('/mine');
    expect(form.method).toBe('POST');
    expect(summary.warnings[0]).toBe(
      "The URL https://desk.example.com/api/tickets does not match the connector's base URL https://crm.example.com: the path was left for you to choose, or choose connector desk, whose base URL it is under, and import again.",
    );
    const other = importCurl(line.replace('desk.example.com', 'other.example'), f, connectors).summary.warnings[0];
    expect(other).toBe(
      "The URL https://other.example/api/tickets does not match the connector's base URL https://crm.example.com: the path was left for you to choose.",
    );
  });

  it('keeps the template when the line has no body', () => {
    const f = { ...formOf(undefined), connector: 'c2', template: '{"a": "{{ A }}"}' };
    const { form } = importCurl(`curl https://crm.example.com/people?page=1`, f, connectors);
    expect(form).toMatchObject({ method: 'GET', path: '/people?page=1', bodyFormat: 'none', template: '{"a": "{{ A }}"}', headers: '' });
  });
});
