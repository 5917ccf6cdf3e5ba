// A node holds at most so many bytes of request bodies at once, and one client (an address, an IPv6
// /64) a share of them. Every body is held whole in memory until its request is answered, so without
// a bound a few thousand connections each sending a body up to its route's limit (5 MB, 50 MB for
// a bulk launch; 1 MB on the signed inbound routes, before any signature is checked) would take
// gigabytes and the process with them. A body that does not fit is refused before it is read, with
// 429 and Retry-After, as a rate limit is; the bytes are counted again once its request is answered.

import type { FastifyInstance } from 'fastify';
import { problem, sendProblem } from './problem.ts';
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

/** Counts what each request's body may take (its Content-Length, or its route's limit when it is sent in chunks). */
export function registerBodyBudget(app: FastifyInstance, budget: BodyBudget = BODY_BUDGET_DEFAULT): void {
  let used = 0;
  const byClient = new Map<string, number>();
  app.addHook('onRequest', async (req, reply) => {
    const length = req.headers['content-length'];
    const chunked = req.headers['transfer-encoding'] !== undefined;
    if (length === undefined && !chunked) return;
    const limit = req.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit ?? MB;
    // Over the route's limit is refused by Fastify (413) without reading it: nothing more to count.
    const bytes = Math.min(length !== undefined && /^\d+$/.test(length) ? Number(length) : limit, limit);
    if (bytes === 0) return;
    const client = clientOf(req.ip);
    const mine = byClient.get(client) ?? 0;
    if (used + bytes > budget.total || mine + bytes > budget.perClient) {
      reply.header('retry-after', '1');
      sendProblem(
        reply,
        problem(
          'RATE_LIMITED',
          mine + bytes > budget.perClient
            ? `This client is sending ${Math.ceil(budget.perClient / MB)} MB of request bodies at once, as much as a node takes from one client; send this one when another is answered`
            : `This node is receiving ${Math.ceil(budget.total / MB)} MB of request bodies at once, as much as it holds; try again in a second`,
        ),
      );
      return reply;
    }
    used += bytes;
    byClient.set(client, mine + bytes);
    // Given back once, on whichever ends first: the answer or its socket. A pipelined
    // request's answer waiting behind another (a live feed) gets no 'close' when its socket does.
    let held = true;
    const socket = req.raw.socket;
    const release = (): void => {
      if (!held) return;
      held = false;
      // A keep-alive socket carries many requests: each takes its listener away again.
      socket.off('close', release);
      used -= bytes;
      const left = (byClient.get(client) ?? bytes) - bytes;
      if (left <= 0) byClient.delete(client);
      else byClient.set(client, left);
    };
    reply.raw.once('close', release);
    if (socket.destroyed) release();
    else socket.once('close', release);
    return undefined;
  });
}
