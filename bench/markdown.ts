// Renders results JSON files (from bench/run.ts) as the Markdown tables of BENCHMARKS.md:
//   npx tsx bench/markdown.ts bench/results/full-ABDE.json bench/results/full-C.json
// Later files override earlier ones per workload and system, so a re-run of one system can be merged.

import { readFileSync } from 'node:fs';
import { fmt } from './report.ts';

interface Measured {
  runs: Record<string, unknown>[];
  errors: string[];
  median?: Record<string, unknown>;
}
interface ResultsFile {
  command: string;
  startedAt: string;
  machine: Record<string, unknown>;
  versions: Record<string, string>;
  settings: Record<string, unknown>;
  results: Record<string, Record<string, Measured>>;
}

const files = process.argv.slice(2).map((f) => ({ f, r: JSON.parse(readFileSync(f, 'utf8')) as ResultsFile }));
const merged: Record<string, Record<string, Measured & { from: string }>> = {};
for (const { f, r } of files)
  for (const [w, bySystem] of Object.entries(r.results))
    for (const [s, m] of Object.entries(bySystem)) (merged[w] ??= {})[s] = { ...m, from: f };

function get(m: Measured | undefined, path: string[]): number {
  let v: unknown = m?.median;
  for (const k of path) v = (v as Record<string, unknown> | undefined)?.[k];
  return typeof v === 'number' ? v : NaN;
}
const n = (x: number): string => (Number.isFinite(x) ? fmt(x) : '—');
function md(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}
const runsOk = (m: Measured): string => `${m.runs.length}/${m.runs.length + m.errors.length}`;
const spread = (m: Measured, k: string): string =>
  m.runs
    .map((r) => r[k])
    .filter((v): v is number => typeof v === 'number')
    .map((v) => fmt(v))
    .join(' / ');

const out: string[] = [];
const A = merged.A;
if (A) {
  out.push('### A. drain\n');
  out.push(
    md(
      [
        'system',
        'completions/s (median)',
        'runs',
        'CPU % of one core',
        'DB server CPU s',
        'mock CPU s',
        'peak RSS MB',
        'enqueue/s',
        'runs ok',
      ],
      Object.entries(A).map(([s, m]) => [
        s,
        `**${n(get(m, ['completionsPerSecond']))}**`,
        spread(m, 'completionsPerSecond'),
        n(get(m, ['cpuPercent'])),
        n(get(m, ['dbServerCpuSeconds'])),
        n(get(m, ['mockCpuSeconds'])),
        n(get(m, ['peakRssMb'])),
        n(get(m, ['enqueuePerSecond'])),
        runsOk(m),
      ]),
    ),
  );
  const peers = Object.keys(A).filter((s) => !s.startsWith('callout-'));
  const callouts = Object.keys(A).filter((s) => s.startsWith('callout-'));
  if (peers.length && callouts.length) {
    out.push('\nRatio Callout / peer, completions per second (medians):\n');
    out.push(
      md(
        ['', ...peers],
        callouts.map((c) => [c, ...peers.map((p) => `${n(get(A[c], ['completionsPerSecond']) / get(A[p], ['completionsPerSecond']))}×`)]),
      ),
    );
  }
}
const B = merged.B;
if (B) {
  out.push('\n### B. open-loop timers (lateness = mock arrival − due time, ms)\n');
  out.push(
    md(
      ['system @ share of its A rate', 'launches/s', 'p50', 'p99', 'p99.9', 'max', 'missing', 'CPU %', 'runs ok'],
      Object.entries(B).map(([s, m]) => [
        s,
        n(get(m, ['rate'])),
        n(get(m, ['lateness', 'p50'])),
        `**${n(get(m, ['lateness', 'p99']))}**`,
        n(get(m, ['lateness', 'p999'])),
        n(get(m, ['lateness', 'max'])),
        n(get(m, ['lateness', 'missing'])),
        n(get(m, ['cpuPercent'])),
        runsOk(m),
      ]),
    ),
  );
}
const C = merged.C;
if (C) {
  out.push('\n### C. waiting at scale\n');
  out.push(
    md(
      [
        'system',
        'actions waiting',
        'launch → all waiting, actions/s',
        'RSS while waiting MB (median / max)',
        'store MB',
        'callbacks/s',
        'RSS during callbacks max MB',
        'runs ok',
      ],
      Object.entries(C).map(([s, m]) => [
        s,
        n(get(m, ['count'])),
        n(get(m, ['launchPerSecond'])),
        `${n(get(m, ['waitingRssMb']))} / ${n(get(m, ['waitingRssMaxMb']))}`,
        n(get(m, ['storeMb'])),
        `**${n(get(m, ['callbacksPerSecond']))}**`,
        n(get(m, ['callbacksRssMaxMb'])),
        runsOk(m),
      ]),
    ),
  );
}
const D = merged.D;
if (D) {
  out.push('\n### D. rate limit (limit 50 a second, offered 200 a second)\n');
  out.push(
    md(
      [
        'system',
        'limited: sends seen',
        'most in one aligned second',
        'most in any 1 s (sliding)',
        '429s from the mock',
        'unlimited beside it: p50 ms',
        'p99 ms',
        'runs ok',
      ],
      Object.entries(D).map(([s, m]) => [
        s,
        n(get(m, ['limited', 'requests'])),
        `**${n(get(m, ['limited', 'maxPerAlignedSecond']))}**`,
        n(get(m, ['limited', 'maxPerSlidingSecond'])),
        n(get(m, ['limited', 'status429'])),
        n(get(m, ['unlimitedLatency', 'p50'])),
        n(get(m, ['unlimitedLatency', 'p99'])),
        runsOk(m),
      ]),
    ),
  );
}
const E = merged.E;
if (E) {
  out.push('\n### E. crash (SIGKILL of `callout serve` mid-run)\n');
  out.push(
    md(
      [
        'system',
        'actions',
        'sends before the kill',
        'lost',
        'completed twice',
        'duplicate sends',
        'restart ms',
        'recovery ms (kill → all closed)',
        'runs ok',
      ],
      Object.entries(E).map(([s, m]) => [
        s,
        n(get(m, ['actions'])),
        n(get(m, ['inFlightAtKill'])),
        `**${n(get(m, ['lost']))}**`,
        `**${n(get(m, ['completedTwice']))}**`,
        n(get(m, ['duplicateSends'])),
        n(get(m, ['restartMs'])),
        n(get(m, ['recoveryMs'])),
        runsOk(m),
      ]),
    ),
  );
}
const N = merged.N;
if (N) {
  out.push('\n### N. several engine nodes on one PostgreSQL database\n');
  out.push(
    md(
      ['engine nodes', 'actions per run', 'completions/s (median)', 'runs', 'runs ok'],
      Object.values(N).map((m) => [
        String(get(m, ['nodes'])),
        n(Number(m.runs[0]?.count)),
        `**${n(get(m, ['completionsPerSecond']))}**`,
        spread(m, 'completionsPerSecond'),
        runsOk(m),
      ]),
    ),
  );
}
const first = files[0]?.r;
if (first) {
  const { callout: _callout, ...others } = first.versions;
  out.push(
    `\nVersions: ${Object.entries(others)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
  );
  out.push(
    `\nSources:\n${files.map(({ f, r }) => `- \`${f}\`: \`${r.command}\`, started ${r.startedAt}, Callout ${r.versions.callout}`).join('\n')}`,
  );
}
console.log(out.join('\n'));
