// `callout bulk-launch <file.csv|file.json>`: posts the file to a running Callout (/v1/bulk-launches)
// under an Idempotency-Key made from the file's hash, follows the report with a progress bar on
// stderr, prints the refused rows and exits 1 when there were any. The demo launches its rows with
// the same functions.

import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { SetupError, ValidationError } from '../errors.ts';

export interface BulkTarget {
  kind: 'actionType' | 'process';
  name: string;
  /** A process's: the columns whose cells become each case's title and owner (not its data). */
  titleColumn?: string;
  ownerColumn?: string;
}

/** The target as the request's settings: `{ process, titleColumn?, ownerColumn? }` or `{ actionType }`. */
function settingsOf(target: BulkTarget): Record<string, string> {
  return {
    [target.kind]: target.name,
    ...(target.titleColumn !== undefined ? { titleColumn: target.titleColumn } : {}),
    ...(target.ownerColumn !== undefined ? { ownerColumn: target.ownerColumn } : {}),
  };
}

export interface BulkClient {
  url: string;
  key: string;
}

interface FieldError {
  field: string;
  message: string;
}
type ReportRow = { row: number; status: 'launched'; id: string } | { row: number; status: 'refused'; errors: FieldError[] };

export interface BulkReport {
  id: string;
  status: 'running' | 'done' | 'failed';
  error?: string;
  total: number;
  launched: number;
  refused: number;
  rows: ReportRow[];
  nextRow: number | null;
}

/** An answer of 300 or above, with the problem's detail and field errors. */
export class BulkApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
  }
}

async function call(
  c: BulkClient,
  method: 'GET' | 'POST',
  path: string,
  init: { body?: string | Uint8Array; headers?: Record<string, string> } = {},
) {
  let res: Response;
  try {
    res = await fetch(`${c.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${c.key}`, ...init.headers },
      ...(init.body !== undefined ? { body: init.body as BodyInit } : {}),
    });
  } catch (e) {
    const why = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new SetupError(`cannot reach Callout at ${c.url} (${why?.code ?? why?.message ?? (e as Error).message}): is it running? (--url)`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    body = text;
  }
  if (res.status >= 300) {
    const p = (typeof body === 'object' && body !== null ? body : {}) as { title?: string; detail?: string; errors?: FieldError[] };
    // With field errors the detail only repeats them, and they are printed one a line below it.
    const detail = p.detail && !(p.errors && p.errors.length > 0) ? `: ${p.detail}` : '';
    throw new BulkApiError(res.status, `${method} ${path}: ${res.status} ${p.title ?? ''}${detail}`.trim(), p.errors);
  }
  return { status: res.status, body };
}

/** Derived from the target and the bytes: the same file launched again returns the first report. */
export function idempotencyKeyFor(target: BulkTarget, file: Buffer): string {
  const h = createHash('sha256').update(`${target.kind}\n${target.name}\n`);
  // Other columns are another launch of the file; without them the key is what it always was.
  if (target.titleColumn !== undefined || target.ownerColumn !== undefined)
    h.update(`${JSON.stringify([target.titleColumn ?? null, target.ownerColumn ?? null])}\n`);
  h.update(file);
  const digest = h.digest('hex');
  return `bulk-file-${digest.slice(0, 40)}`;
}

/**
 * Posts the rows: a CSV body with the target in the query, or a JSON file (an array of rows, or
 * `{ "rows": [...] }`) as a JSON body. `created` is false when the key had launched them before.
 */
export async function startBulk(
  c: BulkClient,
  target: BulkTarget,
  file: { bytes: Buffer; format: 'csv' | 'json' },
  idempotencyKey: string,
): Promise<{ report: BulkReport; created: boolean }> {
  const headers = { 'idempotency-key': idempotencyKey };
  let r;
  if (file.format === 'csv') {
    const q = new URLSearchParams(settingsOf(target));
    r = await call(c, 'POST', `/v1/bulk-launches?${q}`, { body: file.bytes, headers: { ...headers, 'content-type': 'text/csv' } });
  } else {
    // Decoded with replacement characters, a Latin-1 "Müller" was launched as "M\uFFFDller" (a CSV is
    // refused by the server for the same bytes).
    if (!isUtf8(file.bytes)) throw new ValidationError([{ field: 'file', message: 'is not UTF-8 text: save it encoded as UTF-8' }]);
    let parsed: unknown;
    try {
      // A byte order mark, as Windows tools write, is not part of the JSON (a CSV's is skipped too).
      parsed = JSON.parse(file.bytes.toString('utf8').replace(/^\uFEFF/, ''));
    } catch (e) {
      throw new ValidationError([{ field: 'file', message: `is not JSON: ${(e as Error).message}` }]);
    }
    const rows = Array.isArray(parsed) ? parsed : (parsed as { rows?: unknown } | null)?.rows;
    if (!Array.isArray(rows)) throw new ValidationError([{ field: 'file', message: 'must hold an array of rows, or { "rows": [...] }' }]);
    const body = JSON.stringify({ ...settingsOf(target), rows });
    r = await call(c, 'POST', '/v1/bulk-launches', { body, headers: { ...headers, 'content-type': 'application/json' } });
  }
  return { report: r.body as BulkReport, created: r.status === 201 };
}

/** Reads the report until it is no longer running, calling `progress` on each read. */
export async function waitForBulk(
  c: BulkClient,
  id: string,
  progress: (r: BulkReport) => void = () => undefined,
  opts: { intervalMs?: number; timeoutMs?: number } = {},
): Promise<BulkReport> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60 * 60_000);
  for (;;) {
    // limit=1: the counts are what progress needs; the rows are paged once at the end.
    const r = (await call(c, 'GET', `/v1/bulk-launches/${encodeURIComponent(id)}?limit=1`)).body as BulkReport;
    progress(r);
    if (r.status !== 'running') return r;
    if (Date.now() > deadline) throw new Error(`bulk launch ${id} is still running after ${opts.timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 250));
  }
}

/** Every refused row of a finished report, page by page. */
export async function refusedRows(c: BulkClient, id: string): Promise<Array<{ row: number; errors: FieldError[] }>> {
  const out: Array<{ row: number; errors: FieldError[] }> = [];
  let after: number | null = 0;
  while (after !== null) {
    const page = (await call(c, 'GET', `/v1/bulk-launches/${encodeURIComponent(id)}?afterRow=${after}&limit=10000`)).body as BulkReport;
    for (const r of page.rows) if (r.status === 'refused') out.push({ row: r.row, errors: r.errors });
    after = page.nextRow;
  }
  return out;
}

/** A bar on one line updated with \r on a terminal; elsewhere (a log, a pipe) a line per 10 %. */
export function progressBar(out: NodeJS.WriteStream | { isTTY?: boolean; write(s: string): unknown }): {
  update(r: BulkReport): void;
  end(): void;
} {
  let lastTenth = -1;
  let drawn = false;
  const line = (r: BulkReport, done: number, pct: number): string =>
    `${done}/${r.total} rows (${pct} %): ${r.launched} launched, ${r.refused} refused`;
  return {
    update(r) {
      const done = r.launched + r.refused;
      const pct = r.total === 0 ? 100 : Math.floor((done / r.total) * 100);
      if (out.isTTY) {
        const width = 30;
        const filled = Math.round((pct / 100) * width);
        out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${line(r, done, pct)}\x1b[K`);
        drawn = true;
      } else {
        const tenth = Math.floor(pct / 10);
        if (tenth > lastTenth) {
          lastTenth = tenth;
          out.write(`${line(r, done, pct)}\n`);
        }
      }
    },
    end() {
      if (drawn) out.write('\n');
    },
  };
}

export interface BulkCommandFlags {
  actionType?: string;
  process?: string;
  titleColumn?: string;
  ownerColumn?: string;
  url?: string;
  key?: string;
}

/** The command: returns the exit code (0 every row launched, 1 rows refused or the run failed). */
export async function bulkLaunchCommand(path: string, flags: BulkCommandFlags): Promise<number> {
  try {
    return await run(path, flags);
  } catch (e) {
    if (!(e instanceof BulkApiError)) throw e;
    // The server refused the whole request (a bad header, an unknown target, a key without the role).
    console.error(`callout: ${e.message}${e.errors.map((f) => `\n  ${f.field}: ${f.message}`).join('')}`);
    return e.status < 500 ? 2 : 1;
  }
}

async function run(path: string, flags: BulkCommandFlags): Promise<number> {
  if ((flags.actionType === undefined) === (flags.process === undefined))
    throw new ValidationError([{ field: '--action-type', message: 'give exactly one of --action-type or --process' }]);
  if (flags.process === undefined) {
    const misplaced = (['titleColumn', 'ownerColumn'] as const).filter((k) => flags[k] !== undefined);
    if (misplaced.length > 0)
      throw new ValidationError(
        misplaced.map((k) => ({
          field: k === 'titleColumn' ? '--title-column' : '--owner-column',
          message: 'is only for --process (each row a case)',
        })),
      );
  }
  const target: BulkTarget =
    flags.actionType !== undefined
      ? { kind: 'actionType', name: flags.actionType }
      : {
          kind: 'process',
          name: flags.process!,
          ...(flags.titleColumn !== undefined ? { titleColumn: flags.titleColumn } : {}),
          ...(flags.ownerColumn !== undefined ? { ownerColumn: flags.ownerColumn } : {}),
        };
  const ext = extname(path).toLowerCase();
  if (ext !== '.csv' && ext !== '.json') throw new ValidationError([{ field: 'file', message: 'must end in .csv or .json' }]);
  // The environment first in the help: a key on the command line is visible to other users in `ps`.
  const key = flags.key ?? process.env.CALLOUT_API_KEY;
  if (!key) throw new ValidationError([{ field: '--key', message: 'is required (or set CALLOUT_API_KEY)' }]);
  const url = (flags.url ?? process.env.CALLOUT_URL ?? 'http://localhost:3000').replace(/\/$/, '');
  if (!/^https?:\/\/[^/]/.test(url))
    throw new ValidationError([{ field: '--url', message: 'must be an http(s) URL, e.g. http://localhost:3000' }]);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ValidationError([{ field: 'file', message: `cannot be read: ${(e as Error).message}` }]);
  }
  const c: BulkClient = { url, key };
  const { report: first, created } = await startBulk(
    c,
    target,
    { bytes, format: ext === '.csv' ? 'csv' : 'json' },
    idempotencyKeyFor(target, bytes),
  );
  if (!created) process.stderr.write(`this file was launched before (bulk launch ${first.id}): nothing is launched again; its report:\n`);
  const bar = progressBar(process.stderr);
  const report = await waitForBulk(c, first.id, (r) => bar.update(r));
  bar.end();
  if (report.status === 'failed') {
    console.error(`callout: bulk launch ${report.id} failed: ${report.error ?? 'no reason given'}`);
    return 1;
  }
  const refused = report.refused > 0 ? await refusedRows(c, report.id) : [];
  for (const r of refused) console.log(`row ${r.row} refused: ${r.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
  console.log(`bulk launch ${report.id}: ${report.launched} launched, ${report.refused} refused of ${report.total} rows`);
  return report.refused > 0 ? 1 : 0;
}
