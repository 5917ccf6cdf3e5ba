// The web UI inside Callout's own server: the page at / and /ui/..., its bundle, the sign-in
// session, and the few read-only endpoints the screens need beside the API (counts, events,
// dashboard, template preview). Registered with one line in src/api/server.ts.

import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Callout } from '../callout.ts';
import { problem, sendProblem } from '../api/problem.ts';
import { getBundle, type Asset } from './bundle.ts';
import { currentSession, signIn, signOut } from './session.ts';
import { countRoutes } from './counts.ts';
import { EventHub, eventRoutes } from './events.ts';
import { previewRoutes } from './preview.ts';
import { type Activity, dashboardRoutes } from './dashboard.ts';

/** Nothing from elsewhere, nothing inline: the bundle and the API of this origin only. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const publicRoute = { config: { roles: 'public' as const }, schema: { hide: true } };
// The page and its bundle are the same bytes for everyone, served from memory: counting them against
// the address's sign-in allowance let anyone at that address (a proxy, an office) lock people out.
const staticRoute = { config: { roles: 'public' as const, limitBy: 'none' as const }, schema: { hide: true } };
// Who is signed in and signing out: against the session's key when there is one, else the address.
const sessionRoute = { config: { roles: 'public' as const, limitBy: 'session' as const }, schema: { hide: true } };

function page(jsHash: string, cssHash: string, initial: string[]): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Callout</title>
<link rel="stylesheet" href="/ui/assets/app-${cssHash}.css">
<script type="module" src="/ui/assets/app-${jsHash}.js"></script>
${initial.map((c) => `<link rel="modulepreload" href="/ui/assets/${c}">\n`).join('')}</head>
<body><div id="app"><p class="loading">Loading Callout…</p></div><noscript>The Callout UI needs JavaScript.</noscript></body>
</html>
`;
}

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY');
}

function sendAsset(req: FastifyRequest, reply: FastifyReply, a: Asset): FastifyReply {
  const gz = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  securityHeaders(reply).type(a.type).header('cache-control', 'public, max-age=31536000, immutable').header('vary', 'accept-encoding');
  if (gz) reply.header('content-encoding', 'gzip');
  return reply.send(gz ? a.gzip : a.body);
}

export const uiPlugin =
  (callout: Callout, activity: Activity): FastifyPluginAsync =>
  async (app) => {
    const sendPage = async (_req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const b = await getBundle();
      return securityHeaders(reply)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(page(b.js.hash, b.css.hash, b.initial));
    };
    app.get('/', staticRoute, async (_req, reply) => reply.redirect('/ui/work'));
    app.get('/ui', staticRoute, sendPage);
    app.get('/ui/*', staticRoute, sendPage);
    app.get('/ui/assets/:file', staticRoute, async (req, reply) => {
      const b = await getBundle();
      const file = (req.params as { file: string }).file;
      if (file === `app-${b.js.hash}.js`) return sendAsset(req, reply, b.js);
      if (file === `app-${b.css.hash}.css`) return sendAsset(req, reply, b.css);
      const chunk = b.chunks.get(file);
      if (chunk) return sendAsset(req, reply, chunk);
      return sendProblem(reply, problem('NOT_FOUND', `There is no UI asset ${file}`));
    });

    // Sign-in takes JSON only: a cross-site form cannot post it, so nobody is signed in as someone else.
    app.post(
      '/ui/session',
      {
        ...publicRoute,
        // A key of at most 500 characters: nobody signed in needs the API's 5 MB read first.
        bodyLimit: 16 * 1024,
        schema: {
          hide: true,
          body: Type.Object({ key: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }),
        },
      },
      async (req, reply) => {
        const s = await signIn(req, reply, callout, (req.body as { key: string }).key.trim());
        if (!s) return sendProblem(reply, problem('UNAUTHORIZED', 'The API key is not valid'));
        return reply.header('cache-control', 'no-store').send(s);
      },
    );
    app.get('/ui/session', sessionRoute, async (req, reply) => {
      const s = await currentSession(req, callout);
      if (!s) return sendProblem(reply, problem('UNAUTHORIZED', 'Not signed in'));
      return reply.header('cache-control', 'no-store').send(s);
    });
    app.delete('/ui/session', sessionRoute, async (req, reply) => {
      await signOut(req, reply, callout);
      return reply.code(204).send();
    });

    await app.register(countRoutes(callout));
    await app.register(eventRoutes(new EventHub(callout)));
    await app.register(previewRoutes());
    await app.register(dashboardRoutes(callout, activity));
  };
