// An import's answer as a test states it: the sections named, every other one empty.

const EMPTY = { created: [], updated: [], unchanged: [] };
const SECTIONS = ['connectors', 'actionTypes', 'users', 'queues', 'processes', 'webhooks', 'schedules'] as const;

type Section = { created?: string[]; updated?: string[]; unchanged?: string[] };

export function importReport(named: Partial<Record<(typeof SECTIONS)[number], Section>> & { webhookSecrets?: unknown[] }): unknown {
  const out: Record<string, unknown> = { webhookSecrets: named.webhookSecrets ?? [] };
  for (const s of SECTIONS) out[s] = { ...EMPTY, ...named[s] };
  return out;
}
