// Configuration as files: GET /v1/config/export (YAML or JSON) and POST /v1/config/import.

import type { FastifyPluginAsync } from 'fastify';
import type { Callout } from '../callout.ts';
import { exportConfig, importConfig, parseConfigText, serialize } from '../config-files/service.ts';
import { ValidationError } from '../errors.ts';

export const configRoutes =
  (callout: Callout): FastifyPluginAsync =>
  async (app) => {
    const tags = ['configuration'];
    // A YAML file is accepted as it is; JSON goes through the usual parser.
    app.addContentTypeParser(
      ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'],
      { parseAs: 'string' },
      (_req, body, done) => {
        try {
          done(null, parseConfigText(body as string));
        } catch (e) {
          done(e as Error, undefined);
        }
      },
    );
    app.get('/config/export', { config: { roles: ['builder'] }, schema: { tags } }, async (req, reply) => {
      const format = (req.query as { format?: string }).format ?? 'yaml';
      if (format !== 'yaml' && format !== 'json') throw new ValidationError([{ field: 'format', message: 'must be yaml or json' }]);
      const text = serialize(await exportConfig(callout), format);
      return reply
        .type(format === 'yaml' ? 'application/yaml' : 'application/json')
        .header('content-disposition', `attachment; filename="callout-config.${format}"`)
        .send(text);
    });
    app.post('/config/import', { config: { roles: ['builder'] }, schema: { tags } }, async (req) => importConfig(callout, req.body));
  };
