// A node holds at most so many bytes of request bodies at once, and one client (an address, an IPv6
// /64) a share of them. Every body is held whole in memory until its request is answered, so without
// a bound a few thousand connections each sending a body up to its route's limit (5 MB, 50 MB for
// a bulk launch; 1 MB on the signed inbound routes, before any signature is checked) would take
// gigabytes and the process with them. The bytes are counted as they arrive, not as a Content-Length
// announces them: an outside review held the whole node's budget for 30 s from four addresses with
// 256 bodies announced at 1 MB and sent a byte every 5 s (the signed inbound routes need no key), and
// every caller's request with a body was refused meanwhile. A body that crosses the budget is refused
// there, with 429 and Retry-After, as a rate limit is; its bytes count again once its request is answered.

import type { Server } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { CalloutError } from '../errors.ts';
import { clientOf } from './connection-cap.ts';

export interface BodyBudget {
  /** Bytes of bodies a node holds at once. */
  total: number;
  /** Bytes of bodies one client holds at once. */
  perClient: number;
}

/** 256 MB in all, 64 MB a client: five 50 MB bulk launches at once, or fifty 5 MB imports. */
export const BODY_BUDGET_DEFAULT: BodyBudget = { total: 256 * 1024 * 1024, perClient: 64 * 1024 * 1024 };

const MB = 1024 * 1024;

/** The bytes of bodies held now: in all, and by each client holding any. */
export interface BodyBytesHeld {
  total: number;
  byClient: Map<string, number>;
}

const heldOf = new WeakMap<Server, () => BodyBytesHeld>();

/** The bytes of bodies a server holds now (for tests and diagnostics): undefined without a budget. */
export function bodyBytesHeldOf(server: Server): BodyBytesHeld | undefined {
  return heldOf.get(server)?.();
}

/** Counts the bytes of each request's body as they arrive, against the node's total and its client's share. */
export function registerBodyBudget(app: FastifyInstance, budget: BodyBudget = BODY_BUDGET_DEFAULT): void {
  let used = 0;
  const byClient = new Map<string, number>();
  const take = (client: string, n: number): void => {
    used += n;
    byClient.set(client, (byClient.get(client) ?? 0) + n);
  };
  const giveBack = (client: string, n: number): void => {
    used -= n;
    const left = (byClient.get(client) ?? n) - n;
    if (left <= 0) byClient.delete(client);
    else byClient.set(client, left);
  };
  heldOf.set(app.server, () => ({ total: used, byClient: new Map(byClient) }));
  app.addHook('preParsing', async function (req, reply, payload) {
    // No body (a GET, or none sent): nothing to count, and nothing for Fastify to read.
    if (req.method === 'GET' || req.method === 'HEAD') return payload;
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) return payload;
    if (req.headers['content-length'] === '0') return payload;
    // A body no parser of the route reads is refused (415) unread: a stream of ours would read it.
    const type = req.headers['content-type'];
    if (type === undefined || !this.hasContentTypeParser(type.split(';')[0]!.trim().toLowerCase())) return payload;
    // Past the route's limit: Fastify refuses it (413) without reading it, which a stream of ours would.
    const limit = req.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit ?? MB;
    if (Number(req.headers['content-length']) > limit) return payload;
    const client = clientOf(req.ip);
    let held = 0;
    let done = false;
    const counted = new Transform({
      transform(chunk: Buffer, _enc: BufferEncoding, next: TransformCallback): void {
        const n = chunk.length;
        if (done) return next(null, chunk);
        const mine = byClient.get(client) ?? 0;
        if (used + n > budget.total || mine + n > budget.perClient) {
          reply.header('retry-after', '1');
          return next(
            new CalloutError(
              'RATE_LIMITED',
              mine + n > budget.perClient
                ? `This client is sending ${Math.ceil(budget.perClient / MB)} MB of request bodies at once, as much as a node takes from one client; send this one when another is answered`
                : `This node is receiving ${Math.ceil(budget.total / MB)} MB of request bodies at once, as much as it holds; try again in a second`,
            ),
          );
        }
        take(client, n);
        held += n;
        next(null, chunk);
      },
    });
    // Fastify compares what arrived with the Content-Length through this (the stream it reads is ours).
    const source = payload as typeof payload & { receivedEncodedLength?: number };
    // The request's error (its socket reset) goes on to the parser reading our stream; when none reads it
    // (answered before its body: a made-up token's 404), nobody else listens, and an error nobody hears
    // ended the process (an outside review, with a reset socket behind pipelined requests).
    const forward = (err: Error): void => void counted.destroy(err);
    payload.on('error', forward);
    counted.on('error', () => undefined);
    payload.pipe(counted);
    Object.defineProperty(counted, 'receivedEncodedLength', { get: () => source.receivedEncodedLength });
    // Given back once, on whichever ends first: the answer or its socket. A pipelined request's answer
    // waiting behind another (a live feed) gets no 'close' when its socket does.
    const socket = req.raw.socket;
    const release = (): void => {
      if (done) return;
      done = true;
      socket.off('close', release);
      giveBack(client, held);
      held = 0;
      // Answered before its body was read (a 404 for a made-up token, a 413): what is left of it is
      // read and dropped, as Node does for a body nobody reads; piped to us, it waited on the wire and
      // the connection's next request was never read.
      if (!req.raw.complete) {
        payload.unpipe(counted);
        payload.resume();
      }
    };
    reply.raw.once('close', release);
    if (socket.destroyed) release();
    else socket.once('close', release);
    return counted;
  });
}
