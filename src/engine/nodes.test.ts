import { describe, expect, it } from 'vitest';
import { deadNodes, processRuns, type Self } from './nodes.ts';
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
  it('processRuns knows this process, and not a pid that cannot exist', () => {
    expect(processRuns(process.pid)).toBe(true);
    expect(processRuns(2 ** 22 + 12345)).toBe(false);
  });
});
