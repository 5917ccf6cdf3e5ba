// Export and import of configuration as YAML or JSON files: connectors and action types here, users,
// queues, processes, webhook subscriptions and schedules in sections.ts. Secrets never leave: they are
// written as `{ "$env": "NAME" }` references, read from the environment on import, each only from the
// one variable the export names for it. Importing the same file again changes nothing. API keys are
// credentials, not configuration: they are not in the file.

import { stringify as toYaml } from 'yaml';
import type { ConfigChange } from '../store/types.ts';
import type { Logger } from '../logger.ts';
import type { ConnectorService } from '../connectors/service.ts';
import type { ActionTypeService } from '../action-types/service.ts';
import { Problems, ValidationError } from '../errors.ts';
import { isObject, type Doc } from '../validation/check.ts';
import {
  SECRET_AUTH_FIELDS,
  compileConnector,
  connectorPatchBase,
  destinationOf,
  type AuthSpec,
  type ConnectorSpec,
} from '../connectors/connector.ts';
import { actionTypeOptions, compileActionType, compileActionTypeSpec, type CompiledActionType } from '../action-types/action-type.ts';
import { stableJson, uuidv7 } from '../ids.ts';
import {
  MAX_SECTION_ENTRIES,
  SECTIONS,
  TOO_MANY,
  exportSections,
  planSections,
  refuseRepeated,
  type SectionDeps,
  type SectionsReport,
} from './sections.ts';

export const EXPORT_VERSION = 1;

const envName = (connector: string, field: string): string => `CALLOUT_${connector}_${field}`.toUpperCase().replace(/[^A-Z0-9]+/g, '_');

/** A place in a connector document where a secret goes, and the environment variable the export names for it. */
export interface SecretVariable {
  /** e.g. `['auth', 'token']`, `['auth', 'headers', 'X-Api-Key']`, `['inboundSecret']` */
  path: readonly string[];
  /** e.g. `CALLOUT_VENDOR_TOKEN` */
  variable: string;
}

/**
 * Every secret position of connector `connector` with its variable: the names the export writes and the
 * only names the import reads, so one connector's file cannot carry another's secret (or a setting) away.
 */
export function secretVariables(connector: string, authType: string, headerNames: readonly string[]): SecretVariable[] {
  const out: SecretVariable[] = [{ path: ['inboundSecret'], variable: envName(connector, 'inbound_secret') }];
  const used = new Set<string>();
  for (const f of SECRET_AUTH_FIELDS[authType as AuthSpec['type']] ?? []) {
    if (f !== 'headers') {
      out.push({ path: ['auth', f], variable: envName(connector, f) });
      continue;
    }
    // One variable per header value; headers whose names differ only in case or punctuation get _2, _3.
    for (const h of headerNames) {
      let name = envName(connector, `header_${h}`);
      for (let i = 2; used.has(name); i++) name = envName(connector, `header_${h}_${i}`);
      used.add(name);
      out.push({ path: ['auth', 'headers', h], variable: name });
    }
  }
  return out;
}

/**
 * Who chose the environment an import reads: the `callout import` command's owner (or an admin key over
 * HTTP) reads `process.env`; `false` (any other key over HTTP) reads no variable at all.
 */
export type ImportEnvironment = NodeJS.ProcessEnv | false;

export interface ConfigFileServiceDeps extends SectionDeps {
  connectors: ConnectorService;
  actionTypes: ActionTypeService;
  logger: Logger;
}

/** Who imports: an admin (or the `callout import` command) may create and change users; schedules show `actor` as their creator. */
export interface Importer {
  admin: boolean;
  actor: string;
}

/** Configuration files: export to and import from YAML or JSON. */
export class ConfigFileService {
  constructor(private readonly d: ConfigFileServiceDeps) {}

  /** The whole configuration (API keys aside), secrets as `$env` references. */
  export(): Promise<Doc> {
    return exportConfig(this.d);
  }

  /**
   * Validates the whole file first (nothing is written if any part is wrong), then creates or updates by name.
   * `env` is where `$env` references are read; `false` for a caller who did not choose the server's
   * environment: a reference then keeps an existing connector's stored secret and is refused elsewhere.
   * @default process.env and an admin (the `callout import` command)
   */
  import(file: unknown, env: ImportEnvironment = process.env, by: Importer = { admin: true, actor: 'import' }): Promise<ImportReport> {
    // One at a time on this node: two imports of one file (a double click) would each plan the same new
    // webhook subscription, which nothing else makes unique, and store it twice.
    const run = this.running.then(() => importConfig(this.d, file, env, by));
    this.running = run.catch(() => undefined);
    return run;
  }

  private running: Promise<unknown> = Promise.resolve();
}

async function exportConfig(d: ConfigFileServiceDeps): Promise<Doc> {
  const connectors: Doc[] = [];
  const names = new Map<string, string>();
  for (const row of await d.store.listConfig('connector')) {
    const e = await d.registry.connector(row.id);
    names.set(row.id, e.spec.name);
    connectors.push(connectorExport(e.spec));
  }
  const actionTypes: Doc[] = [];
  for (const row of await d.store.listConfig('action_type')) {
    names.set(row.id, row.name);
    const t = await d.registry.actionType(row.id);
    const o = actionTypeOptions(t.compiled.spec);
    actionTypes.push({ ...o, connector: names.get(t.compiled.spec.connectorId) ?? o.connector });
  }
  for (const row of await d.store.listConfig('process')) names.set(row.id, row.name);
  const sections = await exportSections(d, (id) => names.get(id) ?? id);
  return { version: EXPORT_VERSION, connectors, actionTypes, ...sections };
}

function connectorExport(spec: ConnectorSpec): Doc {
  const base = connectorPatchBase(spec);
  const auth = { ...(base.auth as Doc) };
  const headers: Doc = {};
  let inboundSecret: Doc | undefined;
  // One reference per secret position, named as the import will accept it.
  const headerNames = spec.auth.type === 'header' ? Object.keys(spec.auth.headers) : [];
  for (const { path, variable } of secretVariables(spec.name, spec.auth.type, headerNames)) {
    const ref = { $env: variable };
    if (path.length === 1) inboundSecret = spec.inboundSecret ? ref : undefined;
    else if (path.length === 3) headers[path[2]!] = ref;
    // A refresh-token connector may have no client secret (a public client): a reference to it would ask
    // the import for a variable with no value to give, and give the connector a secret it never had.
    else if (!(spec.auth.type === 'oauth2_refresh_token' && path[1] === 'clientSecret' && spec.auth.clientSecret === undefined))
      auth[path[1]!] = ref;
  }
  if (spec.auth.type === 'header') auth.headers = headers;
  return { ...base, auth, ...(inboundSecret ? { inboundSecret } : {}) };
}

export function serialize(doc: Doc, format: 'yaml' | 'json'): string {
  return format === 'yaml' ? toYaml(doc) : `${JSON.stringify(doc, null, 2)}\n`;
}

export type ImportReport = {
  connectors: { created: string[]; updated: string[]; unchanged: string[] };
  actionTypes: { created: string[]; updated: string[]; unchanged: string[] };
} & SectionsReport;

/** The server's own settings: a connector must not be able to carry them to a destination it chooses. */
const SERVER_VARIABLES = new Set(['CALLOUT_ADMIN_KEY', 'CALLOUT_SECRET_KEY', 'DATABASE_URL', 'PGPASSWORD']);
const ENV_ONLY_IN_SECRETS = '`$env` references are only allowed in secret fields';

const isRef = (v: unknown): v is Doc => isObject(v) && '$env' in v;

/** The positions of a connector document where a secret goes (so where `$env` may stand), each with its one variable. */
function secretPositions(c: Doc): Array<{ path: readonly string[]; variable: string | undefined }> {
  const auth = isObject(c.auth) ? c.auth : {};
  const headerNames = isObject(auth.headers) && !isRef(auth.headers) ? Object.keys(auth.headers) : [];
  const named = typeof c.name === 'string' && c.name !== '';
  // Without a name there is no variable to read: the reference is refused (and the name reported by the compile).
  return secretVariables(named ? (c.name as string) : '', String(auth.type), headerNames).map((x) => ({
    path: x.path,
    variable: named ? x.variable : undefined,
  }));
}

/**
 * Resolves `{ "$env": "NAME" }` at the secret positions only (a copy; the input is untouched), and only
 * when NAME is the variable the export writes for that position. An unset variable is reported, or, for a
 * connector that exists (`existing`), its field is left out so the stored secret is kept (a header's
 * stored value is put beside the file's other headers). With `env` false nothing is read: a reference
 * is then an unset variable on a connector that exists, and refused on a new one.
 */
function resolveSecrets(c: Doc, at: string, env: ImportEnvironment, p: Problems, existing: ConnectorSpec | undefined): Doc {
  const keepUnset = existing !== undefined;
  const out = structuredClone(c);
  const storedHeaders = existing?.auth.type === 'header' ? existing.auth.headers : {};
  for (const { path, variable } of secretPositions(c)) {
    const parent = path.slice(0, -1).reduce<Doc>((o, k) => o[k] as Doc, out);
    const key = path[path.length - 1]!;
    const ref = parent[key];
    if (!isRef(ref)) continue;
    const field = `${at}.${path.join('.')}`;
    const name = ref.$env;
    const refuse = (message: string): void => {
      p.add(field, message);
      delete parent[key]; // reported once, here
    };
    if (typeof name !== 'string' || Object.keys(ref).length !== 1 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      refuse('must be a value or { "$env": "NAME" } naming an environment variable');
      continue;
    }
    if (SERVER_VARIABLES.has(name.toUpperCase())) {
      refuse(`refers to ${name}, one of Callout's own settings, which no connector may use`);
      continue;
    }
    // Exactly the exported name: any other variable (a setting, another connector's secret, another
    // program's credential) would be carried to whatever baseUrl this file chooses.
    if (variable === undefined) {
      refuse(`refers to ${name}; a secret is read only from the variable named after its connector, and this connector has no name`);
      continue;
    }
    if (name !== variable) {
      refuse(`refers to ${name}; this field may only refer to ${variable}, the variable \`callout export\` writes for it`);
      continue;
    }
    if (env === false && !keepUnset) {
      refuse(
        `refers to ${name}: only \`npx callout import\` or an admin key reads the server's environment; give the secret itself, or import the file one of those ways`,
      );
      continue;
    }
    const val = env === false ? undefined : env[name];
    if (val !== undefined) parent[key] = val;
    else if (keepUnset && path.length === 3) {
      // A header keeps its stored value, beside the file's other headers as the file gives them (a
      // builder's new header was dropped with the whole set, and the import said "unchanged").
      // Only where it was entered for, as a connector's kept secrets are (checkAuth).
      const was = destinationOf(existing.baseUrl, existing.auth)?.join(' ');
      const now = destinationOf(String(c.baseUrl), isObject(c.auth) ? c.auth : {})?.join(' ');
      if (was !== now)
        refuse(`must be given again: it was entered for ${was ?? 'another address'}, and the connector now sends to ${now ?? 'another'}`);
      else if (Object.hasOwn(storedHeaders, key)) parent[key] = storedHeaders[key];
      else
        refuse(
          `refers to ${name}, which is not read here, and the connector has no stored value for ${key} to keep: give the value itself`,
        );
    } else {
      if (!keepUnset) p.add(field, `refers to the environment variable ${name}, which is not set`);
      delete parent[key];
    }
  }
  return out;
}

/** Any `$env` left after resolving is outside a secret field: named, never resolved. */
function refuseOtherRefs(v: unknown, field: string, p: Problems): void {
  if (isRef(v)) {
    const hint = /\.auth\.headers$/.test(field) ? ': give one reference per header value, e.g. { "X-Api-Key": { "$env": "NAME" } }' : '';
    p.add(field, `${ENV_ONLY_IN_SECRETS}${hint}`);
    return;
  }
  if (Array.isArray(v)) v.forEach((x, i) => refuseOtherRefs(x, `${field}[${i}]`, p));
  else if (isObject(v)) for (const [k, x] of Object.entries(v)) refuseOtherRefs(x, field ? `${field}.${k}` : k, p);
}

/** Whether a field's problem is already told by one of `q` about it or something inside it. */
function explainedBy(q: Problems): (field: string) => boolean {
  const told = q.list.map((x) => x.field);
  return (field) => told.some((t) => t === field || t.startsWith(`${field}.`));
}

async function importConfig(d: ConfigFileServiceDeps, file: unknown, env: ImportEnvironment, by: Importer): Promise<ImportReport> {
  const p = new Problems();
  if (!isObject(file)) {
    p.add('', `the file must hold an object with any of connectors, actionTypes, ${SECTIONS.join(', ')}`);
    p.throwIfAny();
  }
  const f = file as Doc;
  // A section spelled otherwise (`actiontypes`) was skipped without a word, and the import said it changed nothing.
  const known = new Set<string>(['version', 'connectors', 'actionTypes', ...SECTIONS]);
  for (const k of Object.keys(f))
    if (!known.has(k))
      p.add(k, `is not a section of a configuration file (they are version, connectors, actionTypes, ${SECTIONS.join(', ')})`);
  if (f.version !== undefined && f.version !== EXPORT_VERSION) p.add('version', `must be ${EXPORT_VERSION}`);
  const connectors = f.connectors ?? [];
  const actionTypes = f.actionTypes ?? [];
  if (!Array.isArray(connectors)) p.add('connectors', 'must be a list');
  else if (connectors.length > MAX_SECTION_ENTRIES) p.add('connectors', TOO_MANY);
  if (!Array.isArray(actionTypes)) p.add('actionTypes', 'must be a list');
  else if (actionTypes.length > MAX_SECTION_ENTRIES) p.add('actionTypes', TOO_MANY);
  p.throwIfAny();

  // Pass 1: validate everything, with secrets resolved; existing secrets are kept when a reference is unset.
  const plannedConnectors: Array<{ name: string; body: Doc; existing: ConnectorSpec | undefined }> = [];
  // By name exactly (a look-up by id or name would take a document whose id spells the name).
  const connectorRows = new Map((await d.store.listConfig('connector')).map((r) => [r.name, r]));
  refuseRepeated(connectors as unknown[], 'connectors', 'name', p);
  refuseRepeated(actionTypes as unknown[], 'actionTypes', 'name', p);
  for (const [i, c] of (connectors as unknown[]).entries()) {
    const q = new Problems();
    // As stored now, by exact name (the registry's cache may be seconds old, and looks up ids too).
    const stored = isObject(c) && typeof c.name === 'string' ? connectorRows.get(c.name) : undefined;
    const existing = stored ? d.registry.putConnector(stored).spec : undefined;
    // An existing connector keeps its stored secret when the variable is not set (or not read) here.
    const resolved = isObject(c) ? resolveSecrets(c, `connectors[${i}]`, env, q, existing) : c;
    refuseOtherRefs(resolved, `connectors[${i}]`, q);
    // An unset variable explains its field better than "is required" does.
    for (const x of q.list) p.add(x.field, x.message);
    const explained = explainedBy(q);
    try {
      const spec = compileConnector(resolved, { allowPrivateNetworks: d.allowPrivateNetworks, ...(existing ? { existing } : {}) });
      plannedConnectors.push({ name: spec.name, body: resolved as Doc, existing });
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      for (const x of e.errors ?? []) {
        const field = `connectors[${i}]${x.field ? `.${x.field}` : ''}`;
        if (!explained(field)) p.add(field, x.message);
      }
    }
  }
  // A connector of the file refused above is reported there, not again as "no connector" for its action types.
  const named = (connectors as unknown[]).flatMap((c) => (isObject(c) && typeof c.name === 'string' ? [c.name] : []));
  // By name, or (as the API takes them) a stored connector's id.
  const storedConnectors = [...connectorRows.values()];
  const connectorNames = new Set([...storedConnectors.flatMap((r) => [r.name, r.id]), ...plannedConnectors.map((c) => c.name), ...named]);
  // The file's action types get their ids now (an existing one keeps its own): its processes and schedules name them.
  const typeRows = new Map((await d.store.listConfig('action_type')).map((r) => [r.name, r]));
  const actionTypeIds = new Map<string, string>();
  for (const r of typeRows.values()) actionTypeIds.set(r.name, r.id);
  for (const r of typeRows.values()) actionTypeIds.set(r.id, r.id);
  const fileActionTypes = new Map<string, CompiledActionType | null>();
  for (const [i, t] of (actionTypes as unknown[]).entries()) {
    const q = new Problems();
    refuseOtherRefs(t, `actionTypes[${i}]`, q);
    for (const x of q.list) p.add(x.field, x.message);
    const explained = explainedBy(q);
    const name = isObject(t) && typeof t.name === 'string' ? t.name : undefined;
    const id = name === undefined ? undefined : (typeRows.get(name)?.id ?? uuidv7(d.clock.now()));
    if (name !== undefined) {
      actionTypeIds.set(name, id!);
      fileActionTypes.set(name, null);
    }
    try {
      const ref = isObject(t) && typeof t.connector === 'string' && connectorNames.has(t.connector) ? t.connector : undefined;
      const spec = compileActionTypeSpec(t, ref);
      // As a schedule's launch will find it; the connector's id does not matter to its input.
      if (name !== undefined && q.list.length === 0) {
        const compiled = compileActionType(id!, 1, spec);
        fileActionTypes.set(name, compiled).set(id!, compiled);
      }
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      for (const x of e.errors ?? []) {
        const field = `actionTypes[${i}]${x.field ? `.${x.field}` : ''}`;
        if (!explained(field)) p.add(field, x.message);
      }
    }
  }
  // The file's new connectors get their ids now, as its action types do: its queues' integrations keep them.
  const connectorIds = new Map([
    ...plannedConnectors.flatMap((c) => (c.existing ? [] : [[c.name, uuidv7(d.clock.now())] as const])),
    // An id wins over a name that spells it.
    ...storedConnectors.flatMap((r) => [[r.name, r.id] as const, [r.id, r.id] as const]),
  ]);
  const sections = await planSections(d, f, {
    p,
    ...by,
    actionTypeIds,
    connectorIds,
    connectorNames,
    fileActionTypes,
  });
  p.throwIfAny();

  // Pass 2: plan every write, skipping what is already as the file says; then store them all in one
  // transaction, so a failure (a name taken meanwhile, a store error) leaves the configuration as it was.
  const report: ImportReport = {
    connectors: { created: [], updated: [], unchanged: [] },
    actionTypes: { created: [], updated: [], unchanged: [] },
    ...sections.report,
  };
  const changes: ConfigChange[] = [];
  const after: Array<() => Promise<unknown>> = [];
  for (const c of plannedConnectors) {
    if (!c.existing) {
      const change = d.connectors.planCreate(c.body, connectorIds.get(c.name));
      changes.push(change);
      report.connectors.created.push(c.name);
      continue;
    }
    const next = compileConnector(c.body, { allowPrivateNetworks: d.allowPrivateNetworks, existing: c.existing });
    // Key order aside: PostgreSQL's jsonb gives the stored document's keys back in an order of its own.
    if (stableJson(next) === stableJson(c.existing)) {
      report.connectors.unchanged.push(c.name);
      continue;
    }
    const change = d.connectors.planUpdate(connectorRows.get(c.name)!, c.body, 'replace');
    changes.push(change);
    after.push(() => d.connectors.updated(change.row));
    report.connectors.updated.push(c.name);
  }
  for (const t of actionTypes as Doc[]) {
    const name = t.name as string;
    // Validated above: a connector of the file or a stored one, by name or id.
    const connectorId = connectorIds.get(t.connector as string);
    const prior = typeRows.get(name);
    if (!prior) {
      changes.push(d.actionTypes.planCreate(t, connectorId, actionTypeIds.get(name)));
      report.actionTypes.created.push(name);
      continue;
    }
    const stored = d.registry.putActionType(prior).compiled.spec;
    if (JSON.stringify(actionTypeOptions(compileActionTypeSpec(t, connectorId))) === JSON.stringify(actionTypeOptions(stored))) {
      report.actionTypes.unchanged.push(name);
      continue;
    }
    const change = d.actionTypes.planUpdate(prior, { ...t, connector: connectorId }, connectorId);
    changes.push(change);
    after.push(() => d.actionTypes.updated(prior, change.row, 'system'));
    report.actionTypes.updated.push(name);
  }
  changes.push(...sections.changes);
  // Users disabled and members taken off queues give back their tasks, as through the API: what each was before.
  const changedUsers = changes.some((c) => c.kind === 'user' && c.expectedRevision !== null);
  const changedQueues = changes.some((c) => c.kind === 'queue' && c.expectedRevision !== null);
  const usersBefore = new Map(changedUsers ? (await d.store.listUsers()).map((u) => [u.name, u] as const) : []);
  const queuesBefore = new Map(changedQueues ? (await d.store.listQueues()).map((q) => [q.name, q] as const) : []);
  for (const c of changes)
    if (c.kind === 'user' && c.expectedRevision !== null) after.push(() => d.users.stored(usersBefore.get(c.row.name), c.row, by.actor));
    else if (c.kind === 'queue' && c.expectedRevision !== null) {
      // Recorded with the import's write, so a node that stops before they are all given back leaves them to the sweep.
      c.releases = d.queues.leaving(queuesBefore.get(c.row.name), c.row, by.actor);
      after.push(() => d.queues.stored(queuesBefore.get(c.row.name), c.row, by.actor));
    }
  if (changes.length > 0) await d.store.writeConfigs(changes);
  // Stored: this node's registry takes the new documents, and updates take effect (held actions, retry policies).
  for (const c of changes) {
    if (c.expectedRevision !== null) continue;
    if (c.kind === 'connector') d.registry.putConnector(c.row);
    else if (c.kind === 'action_type') d.registry.putActionType(c.row);
  }
  // This node's webhook outbox and scheduler learn of theirs now (other nodes at their next poll).
  if (changes.some((c) => c.kind === 'webhook')) after.push(() => d.webhooks.changed());
  if (changes.some((c) => c.kind === 'schedule')) d.schedules.changed();
  // The import is stored whatever happens next: a step that fails here (the store unreachable a
  // moment) is logged, and the engine's periodic reload of configuration catches up.
  for (const f of after)
    await f().catch((err: unknown) => d.logger.warn({ err }, 'an imported change is stored, but applying it on this node failed'));
  return report;
}
