// Turning runs into the reported numbers: medians of runs, lateness from the mock's log, tables.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { readMockLog } from './lib/mock-process.ts';
import { maxInAlignedWindow, maxInSlidingWindow, median, percentiles } from './lib/stats.ts';

/** Median of every numeric field across runs; other fields from the first run. */
export function medianOf<T extends Record<string, unknown>>(runs: readonly T[]): Record<string, unknown> {
  if (runs.length === 0) return {};
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(runs[0]!)) {
    const vals = runs.map((r) => r[k]);
    if (vals.every((v) => typeof v === 'number')) out[k] = median(vals as number[]);
    else if (vals.every((v) => typeof v === 'boolean')) out[k] = vals.some(Boolean);
    else if (vals.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v)))
      out[k] = medianOf(vals as Record<string, unknown>[]);
    else out[k] = vals[0];
  }
  return out;
}

export async function readDueFile(file: string): Promise<Map<string, number>> {
  const due = new Map<string, number>();
  const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line) continue;
    const tab = line.indexOf('\t');
    due.set(line.slice(0, tab), Number(line.slice(tab + 1)));
  }
  return due;
}

export interface Lateness {
  samples: number;
  missing: number;
  /** Requests to the mock beyond the first per key (resends). */
  duplicates: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** Per second of due time since the first due: count, median and worst lateness (where the tail comes from). */
  bySecond: Array<{ second: number; n: number; p50: number; max: number }>;
}

/** Arrival at the mock (first arrival per key, on `path`) minus the due time, in ms. */
export async function latenessFromLog(logFile: string, due: Map<string, number>, path = '/ok'): Promise<Lateness> {
  const first = new Map<string, number>();
  let duplicates = 0;
  await readMockLog(logFile, (l) => {
    if (l.path !== path || l.key === null || !due.has(l.key)) return;
    if (first.has(l.key)) duplicates++;
    else first.set(l.key, l.at);
  });
  const xs = new Float64Array(first.size);
  let i = 0;
  for (const [k, at] of first) xs[i++] = at - due.get(k)!;
  const p = percentiles(xs, [50, 99, 99.9]);
  // A loop, not Math.min(...): a spread of 100k+ arguments overflows the stack.
  let firstDue = Infinity;
  for (const d of due.values()) if (d < firstDue) firstDue = d;
  const buckets = new Map<number, number[]>();
  for (const [k, at] of first) {
    const sec = Math.floor((due.get(k)! - firstDue) / 1000);
    let b = buckets.get(sec);
    if (!b) buckets.set(sec, (b = []));
    b.push(at - due.get(k)!);
  }
  const bySecond = [...buckets]
    .sort((a, b) => a[0] - b[0])
    .map(([second, v]) => {
      const q = percentiles(v, [50]);
      return { second, n: v.length, p50: q.p50!, max: q.max! };
    });
  return {
    samples: first.size,
    missing: due.size - first.size,
    duplicates,
    p50: p.p50!,
    p99: p.p99!,
    p999: p['p99.9']!,
    max: p.max!,
    bySecond,
  };
}

export interface WindowCounts {
  requests: number;
  status429: number;
  maxPerAlignedSecond: number;
  maxPerSlidingSecond: number;
}

export async function windowsFromLog(logFile: string, path: string): Promise<WindowCounts> {
  const times: number[] = [];
  let status429 = 0;
  await readMockLog(logFile, (l) => {
    if (l.path !== path) return;
    times.push(l.at);
    if (l.status === 429) status429++;
  });
  return {
    requests: times.length,
    status429,
    maxPerAlignedSecond: maxInAlignedWindow(times, 1000),
    maxPerSlidingSecond: maxInSlidingWindow(times, 1000),
  };
}

/** A plain-text table with right-aligned numbers. */
export function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: (string | number)[]): string =>
    r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}
