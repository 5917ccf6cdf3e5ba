// Every answer a test gets is checked against the OpenAPI document the server publishes: its status
// must be one the operation documents, and its body must fit the documented schema. So the document
// integrators generate clients from is tested by every end-to-end test, not by a test of its own.

import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

interface Doc {
  paths: Record<string, Record<string, { responses?: Record<string, Response | { $ref: string }> }>>;
  components?: { responses?: Record<string, Response>; schemas?: Record<string, unknown> };
}
interface Response {
  content?: Record<string, { schema?: unknown }>;
}

export type ContractCheck = (
  method: string,
  url: string,
  status: number,
  contentType: string | undefined,
  body: unknown,
) => string | undefined;

export function contractOf(doc: Doc): ContractCheck {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormatsModule.default(ajv);
  const compiled = new Map<unknown, ValidateFunction>();
  const deref = <T>(x: T | { $ref: string }): T => {
    if (typeof x === 'object' && x !== null && '$ref' in x && typeof x.$ref === 'string') {
      const [, kind, name] = x.$ref.split('/').slice(1);
      return (doc.components as Record<string, Record<string, unknown>>)[kind!]![name!] as T;
    }
    return x as T;
  };
  // Literal segments win over parameters (/v1/actions/counts before /v1/actions/{id}).
  const routes = Object.keys(doc.paths)
    .map((p) => ({
      p,
      re: new RegExp(`^${p.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
      params: (p.match(/\{/g) ?? []).length,
    }))
    .sort((a, b) => a.params - b.params);

  return (method, url, status, contentType, body) => {
    const path = url.split('?')[0]!;
    const route = routes.find((r) => r.re.test(path));
    // Not an operation of the document (the UI, a route that does not exist): nothing promised.
    const op = route && doc.paths[route.p]![method.toLowerCase()];
    if (!op) return undefined;
    const documented = op.responses?.[String(status)];
    if (!documented)
      return `${method} ${route.p} answered ${status}, which it does not document (${Object.keys(op.responses ?? {}).join(', ')})`;
    const response = deref<Response>(documented);
    if (!response.content || status === 204) return undefined;
    const type = contentType?.split(';')[0]?.trim() ?? '';
    const media = response.content[type];
    if (!media) return `${method} ${route.p} answered ${status} as ${type}, documented as ${Object.keys(response.content).join(', ')}`;
    const schema = deref<object>((media.schema ?? {}) as object);
    let validate = compiled.get(schema);
    if (!validate) compiled.set(schema, (validate = ajv.compile(schema)));
    if (validate(body)) return undefined;
    return `${method} ${route.p} answered ${status} with a body its schema refuses: ${ajv.errorsText(validate.errors)}`;
  };
}
