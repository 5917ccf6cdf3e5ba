import { execFileSync, spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { deadNodes, hostIdentity, processRuns, type Self } from './nodes.ts';
import type { NodeRow } from '../store/types.ts';

const T = 1_000_000;
const me: Self = { id: 'me#2', host: 'h1', pid: 40, startedAt: T };
const row = (id: string, over: Partial<NodeRow> = {}): NodeRow => ({
  id,
  host: 'h2',
  pid: 7,
  startedAt: T - 60_000,
  heartbeatAt: T,
  ...over,
});

describe('deadNodes', () => {
  const runs = (pid: number): boolean => pid !== 99;
  it('elsewhere: dead once the heartbeat is older than 60 % of the setting', () => {
    const rows = [row('fresh', { heartbeatAt: T - 5_999 }), row('stale', { heartbeatAt: T - 6_001 })];
    expect(deadNodes(rows, me, T, 10_000, runs, new Set())).toEqual(['stale']);
  });
  it('on this host: a gone process is dead at once; a running one only when its heartbeat is stale', () => {
    const rows = [
      row('gone', { host: 'h1', pid: 99 }),
      row('running', { host: 'h1', pid: 41 }),
      row('hung', { host: 'h1', pid: 42, heartbeatAt: T - 7_000 }),
    ];
    expect(deadNodes(rows, me, T, 10_000, runs, new Set())).toEqual(['gone', 'hung']);
  });
  it("this process's pid: a previous life (a restarted container) is dead, another engine of this process is not, nor am I", () => {
    const rows = [row('me#1', { host: 'h1', pid: 40 }), row('sibling#1', { host: 'h1', pid: 40 }), row('me#2', { host: 'h1', pid: 40 })];
    expect(deadNodes(rows, me, T, 10_000, runs, new Set(['sibling#1', 'me#2']))).toEqual(['me#1']);
  });
  it("another pid namespace's pid 1 (a container of the same name) is another host: alive while it beats", () => {
    const mine = hostIdentity();
    const rows = [
      row('peer#1', { host: `${mine}-other-ns`, pid: 40 }),
      row('gone#1', { host: `${mine}-other-ns`, pid: 40, heartbeatAt: T - 7_000 }),
    ];
    expect(deadNodes(rows, { ...me, host: mine }, T, 10_000, runs, new Set())).toEqual(['gone#1']);
  });
  it('processRuns knows this process, and not a pid that cannot exist', () => {
    expect(processRuns(process.pid)).toBe(true);
    expect(processRuns(2 ** 22 + 12345)).toBe(false);
  });
});

// Linux: unshare makes a new pid namespace, as a container runtime does (root; not every sandbox allows it).
const canUnshare = process.platform === 'linux' && spawnSync('unshare', ['-p', '-f', '--mount-proc', 'true']).status === 0;

describe('hostIdentity', () => {
  it('is the host name, with the kernel boot and the pid namespace on Linux', () => {
    expect(hostIdentity().startsWith(hostname())).toBe(true);
    if (process.platform === 'linux') expect(hostIdentity()).toMatch(/ boot:[0-9a-f-]{36} pidns:\d+$/);
  });
  it.skipIf(!canUnshare)('differs in another pid namespace of the same host name (two containers sharing a data dir)', () => {
    const script = `import { hostIdentity } from ${JSON.stringify(new URL('./nodes.ts', import.meta.url).pathname)}; console.log(hostIdentity());`;
    const there = execFileSync(
      'unshare',
      ['-p', '-f', '--mount-proc', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
        timeout: 20_000,
      },
    ).trim();
    expect(there.startsWith(`${hostname()} boot:`)).toBe(true);
    expect(there).not.toBe(hostIdentity());
    // The same namespace, the same host: a pid there is checked at once.
    const here = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    }).trim();
    expect(here).toBe(hostIdentity());
  });
});
