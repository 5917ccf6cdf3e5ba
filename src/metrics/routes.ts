// GET /metrics: this node's metrics for Prometheus (metrics.ts). For people's keys, as the dashboard
// is, and for a key with the `metrics` role alone, which may read nothing else: what a scraper should
// hold (Prometheus's `authorization` setting), so its configuration cannot act on the work.

import type { FastifyPluginAsync } from 'fastify';
import { PEOPLE, SCRAPERS } from '../api/roles.ts';
import type { Metrics } from './metrics.ts';

export const metricsRoutes =
  (metrics: Metrics): FastifyPluginAsync =>
  async (app) => {
    app.addHook('onClose', async () => metrics.close());
    app.get(
      '/metrics',
      {
        config: { roles: [...PEOPLE, ...SCRAPERS] },
        schema: {
          tags: ['operations'],
          summary: "This node's metrics in Prometheus's text format",
          description:
            'Process (CPU, memory, event-loop delay, GC), HTTP requests by route, attempts per connector, timer lateness, ' +
            "open actions by state and phase, and each connector's circuit. Counters are this node's since it started; " +
            "the store's counts are the whole installation's, read at most every 5 s. One rendering is reused for 1 s, however many scrape.",
          response: { 200: { description: 'the metrics', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
      async (_req, reply) => {
        const { contentType, body } = await metrics.text();
        return reply.type(contentType).header('cache-control', 'no-store').send(body);
      },
    );
  };
