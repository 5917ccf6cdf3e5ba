// Configuration as files: GET /v1/config/export (YAML or JSON) and POST /v1/config/import.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { serialize, type ConfigFileService } from './service.ts';
import { parseConfigText } from './yaml-reader.ts';
import { utf8Text } from '../api/body-depth.ts';
import { StringEnum } from '../api/schemas.ts';
import { BUILDERS } from '../api/roles.ts';
import { userOf } from '../api/user.ts';

const ExportQuery = Type.Object(
  { format: Type.Optional(StringEnum(['yaml', 'json'], { default: 'yaml' })) },
  { additionalProperties: false },
);

const Outcome = (what: string) =>
  Type.Object(
    {
      created: Type.Array(Type.String(), { description: `${what} the import created` }),
      updated: Type.Array(Type.String(), { description: `${what} it changed` }),
      unchanged: Type.Array(Type.String(), { description: `${what} already as the file says` }),
    },
    { additionalProperties: false },
  );

/** What an import did, section by section (names; webhook subscriptions by URL). */
const ImportReportSchema = Type.Object(
  {
    connectors: Outcome('connectors'),
    actionTypes: Outcome('action types'),
    users: Outcome('users'),
    queues: Outcome('queues'),
    processes: Outcome('processes'),
    webhooks: Outcome('webhook subscriptions, by URL'),
    schedules: Outcome('schedules'),
    webhookSecrets: Type.Array(
      Type.Object({ id: Type.String(), url: Type.String(), secret: Type.String() }, { additionalProperties: false }),
      { description: 'the signing secret of each subscription the import created, shown once' },
    ),
  },
  { additionalProperties: false },
);

export const configFilesRoutes =
  (configFiles: ConfigFileService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['configuration'];
    // A file is read as YAML, JSON too (YAML reads it), on the reader's thread: the same text is then
    // one file whichever type it is sent as (JSON.parse kept the last of a section given twice, which
    // YAML refuses), and its bytes must be UTF-8, as every body's (a Latin-1 "Müller" was stored mangled).
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser(
      ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain', 'application/json'],
      { parseAs: 'buffer' },
      async (_req: unknown, body: string | Buffer) => parseConfigText(utf8Text(body as Buffer)),
    );
    const file = (description: string) => ({
      description,
      content: { 'application/yaml': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'object' } } },
    });
    const exportSchema = { tags, querystring: ExportQuery, response: { 200: file('the configuration file (JSON with ?format=json)') } };
    app.get('/config/export', { config: { roles: BUILDERS }, schema: exportSchema }, async (req, reply) => {
      const format = req.query.format ?? 'yaml';
      const text = serialize(await configFiles.export(), format);
      return reply
        .type(format === 'yaml' ? 'application/yaml' : 'application/json')
        .header('content-disposition', `attachment; filename="callout-config.${format}"`)
        .send(text);
    });
    // The file's body is checked by the import itself, entry by entry, so every mistake is named at once.
    // Only an admin reads the server's environment through `$env`: a builder could otherwise send any
    // variable to a baseUrl of their choosing (a builder's reference keeps an existing connector's secret).
    // Users are the admin's too: a builder's file may carry them unchanged, not create or change them.
    // Documentation only (no validation): the import names each mistake itself.
    const importBody = {
      content: {
        'application/yaml': { schema: Type.Any({ description: 'the configuration file, as exported' }) },
        'application/json': { schema: Type.Any({ description: 'the configuration file as JSON' }) },
      },
    };
    const importSchema = { tags, body: importBody, response: { 200: ImportReportSchema } };
    app.post(
      '/config/import',
      {
        config: { roles: BUILDERS, problems: [400, 413, 415, 422], mediaTypes: ['application/yaml', 'application/json'] },
        schema: importSchema,
      },
      async (req) => {
        const admin = req.principal?.roles.includes('admin') ?? false;
        return configFiles.import(req.body, admin ? process.env : false, { admin, actor: userOf(req) });
      },
    );
  };
