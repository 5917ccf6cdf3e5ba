// Summarises a V8 .cpuprofile: self time per function (file:line name) and per file, as shares of the
// sampled time, idle and GC included, so "what is hot" has a number.
//   npx tsx bench/prof-summary.ts .tmp/prof/CPU.*.cpuprofile [--top 30] [--last-seconds N]
// --last-seconds keeps only the samples of the profile's last N seconds (e.g. a workload's final phase).

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' }, 'last-seconds': { type: 'string' } },
});
for (const file of positionals) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  if (values['last-seconds'] !== undefined) {
    // Keep the samples whose time is within the last N seconds of the profile.
    const keepUs = Number(values['last-seconds']) * 1e6;
    const end = p.timeDeltas.reduce((a, b) => a + b, 0);
    let t = 0;
    const keep = p.timeDeltas.map((d) => (t += d) >= end - keepUs);
    p.samples = p.samples.filter((_, i) => keep[i]);
    p.timeDeltas = p.timeDeltas.filter((_, i) => keep[i]);
  }
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  const short = (url: string): string => url.replace(/^file:\/\/.*?\/work\/main\//, '').replace(/^node:/, 'node:');
  const label = (n: Node): string =>
    `${short(n.callFrame.url) || '(native)'}:${n.callFrame.lineNumber + 1} ${n.callFrame.functionName || '(anonymous)'}`;
  const fnSelf = new Map<string, number>();
  const fileSelf = new Map<string, number>();
  // Inclusive time per function: each sample counts once for every distinct function on its stack.
  const fnTotal = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!);
      if (!seen.has(l)) {
        seen.add(l);
        fnTotal.set(l, (fnTotal.get(l) ?? 0) + dt);
      }
    }
  });
  for (const [id, t] of self) {
    const n = byId.get(id)!;
    fnSelf.set(label(n), (fnSelf.get(label(n)) ?? 0) + t);
    const file = short(n.callFrame.url) || n.callFrame.functionName || '(native)';
    fileSelf.set(file, (fileSelf.get(file) ?? 0) + t);
  }
  const top = Number(values.top);
  const pct = (t: number): string => `${((t / total) * 100).toFixed(1).padStart(5)} %`;
  console.log(`\n${file}: ${(total / 1e6).toFixed(2)} s sampled`);
  console.log('\nself time by file');
  for (const [k, t] of [...fileSelf].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(t)}  ${k}`);
  console.log('\nself time by function');
  for (const [k, t] of [...fnSelf].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(t)}  ${k}`);
  console.log('\ninclusive time by function (src/ and bench/ only)');
  for (const [k, t] of [...fnTotal]
    .filter(([k]) => /^(src|bench)\//.test(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top))
    console.log(`  ${pct(t)}  ${k}`);
}
