import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { parseConfigText } from './yaml-reader.ts';

const message = async (text: string, opts?: { timeLimitMs?: number }): Promise<string> => {
  const e = await parseConfigText(text, opts).then(
    () => {
      throw new Error('was read');
    },
    (err: unknown) => err,
  );
  return (e as { errors: Array<{ message: string }> }).errors[0]!.message;
};

describe('parseConfigText', () => {
  it('reads YAML and JSON, anchors included', async () => {
    expect(await parseConfigText('connectors:\n  - &c {name: a}\n  - *c\n')).toEqual({ connectors: [{ name: 'a' }, { name: 'a' }] });
    expect(await parseConfigText('{"actionTypes": [{"name": "x"}]}')).toEqual({ actionTypes: [{ name: 'x' }] });
  });

  it('refuses a key given twice in one map, at any depth, naming it and its line', async () => {
    expect(await message('connectors: []\nconnectors: []\n')).toBe(
      'not valid YAML or JSON: Map keys must be unique: "connectors" is repeated at line 2, column 1',
    );
    expect(await message('connectors:\n  - name: a\n    baseUrl: x\n    name: b\n')).toContain('"name" is repeated at line 4');
    expect(await message('{"a": 1, "a": 2}')).toContain('"a" is repeated');
    // Keys that JSON names alike are one key (yaml's own check tells 1 from "1", and the last was kept).
    expect(await message('x: {1: a, "1": b}')).toBe(
      'not valid YAML or JSON: Map keys must be unique: "1" is repeated at line 1, column 11',
    );
  });

  it('refuses a file nested past the depth limit as bad input, however deep (2,000 levels failed the copy back: a 500), and reads one at it', async () => {
    const nested = (levels: number): string => `${'a: {x: '.repeat(1)}${'{x: '.repeat(levels - 2)}1${'}'.repeat(levels - 1)}`;
    expect(await message(nested(2000))).toBe('not valid YAML or JSON: it is nested deeper than 32 levels');
    expect(await message(nested(33))).toBe('not valid YAML or JSON: it is nested deeper than 32 levels');
    expect(await parseConfigText(nested(32))).toHaveProperty('a.x.x');
    // 100,000 brackets (200 KB) ran yaml out of memory and ended the process: refused before the thread.
    expect(await message(`{"connectors": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`)).toBe(
      'not valid YAML or JSON: it is nested deeper than 32 levels',
    );
    // The thread is still there for the next file.
    expect(await parseConfigText('connectors: []')).toEqual({ connectors: [] });
  });

  it("reads a map of 80,000 keys off the event loop, and finds the one repeated at its end (yaml's own check took 100 s)", async () => {
    const keys = Array.from({ length: 80_000 }, (_, i) => `k${i}: 1`);
    // Timers keep firing while it is read: the event loop is free (on it, the read is a second of nothing else).
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const read = (await parseConfigText(`x: {${keys.join(', ')}}`)) as { x: object };
    clearInterval(timer);
    expect(Object.keys(read.x)).toHaveLength(80_000);
    expect(ticks).toBeGreaterThanOrEqual(3);
    expect(await message(`x: {${keys.join(', ')}, k0: 2}`)).toContain('"k0" is repeated');
  });

  it('refuses a read past its time limit, and reads the next file on a fresh thread', async () => {
    const keys = Array.from({ length: 200_000 }, (_, i) => `k${i}: 1`).join(', ');
    expect(await message(`x: {${keys}}`, { timeLimitMs: 50 })).toContain('took longer than 0.05 s');
    expect(await parseConfigText('a: 1')).toEqual({ a: 1 });
  });

  it('reads one file at a time and refuses a file that would wait behind three others', async () => {
    const keys = Array.from({ length: 200_000 }, (_, i) => `k${i}: 1`).join(', ');
    const slow = Array.from({ length: 4 }, () => parseConfigText(`x: {${keys}}`, { timeLimitMs: 100 }).catch((e: unknown) => e));
    const fifth = await parseConfigText('a: 1').catch((e: unknown) => e);
    expect(fifth).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('being read') });
    for (const e of await Promise.all(slow)) expect((e as { message: string }).message).toContain('took longer than 0.1 s');
    expect(await parseConfigText('a: 1')).toEqual({ a: 1 });
  });

  it('still refuses an alias bomb and bad syntax', async () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefg'[i]}`).join(', ')}]`),
    ];
    expect(await message(bomb.join('\n'))).toMatch(/alias/i);
    expect(await message('a: [1, 2')).toContain('not valid YAML or JSON');
  });

  it('refuses block nesting past 1,000 columns before the thread: "- - - …" of 10 KB, sent twice, ended the process', async () => {
    const dashes = `${'- '.repeat(20_000)}x\n`;
    for (let i = 0; i < 2; i++)
      expect(await message(dashes)).toBe(
        'not valid YAML or JSON: line 1 is indented past 1000 columns: it is nested deeper than 32 levels',
      );
    const mapNest = Array.from({ length: 1500 }, (_, i) => `${' '.repeat(i)}k:`).join('\n');
    expect(await message(`a: 1\n${mapNest} x\n`)).toContain('line 1003 is indented past 1000 columns');
    // Within the columns, a file as deep is read and refused by its depth, and the next is read.
    expect(await message(`${'- '.repeat(499)}x\n`)).toBe('not valid YAML or JSON: it is nested deeper than 32 levels');
    expect(await parseConfigText('a:\n  - - b\n')).toEqual({ a: [['b']] });
  });

  it("counts brackets whatever quotes surround them: YAML's quoting hid them from a JSON string count", async () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    for (const text of [`'"': ${deep}\n`, `a"b: ${deep}\n`, `x: "${']'.repeat(5000)}"\ny: ${deep}\n`])
      expect(await message(text)).toBe('not valid YAML or JSON: it is nested deeper than 32 levels');
    // Brackets in strings, closed or not, are no nesting below the count.
    expect(await parseConfigText(`t: "${'['.repeat(900)}"\nu: '${'}'.repeat(5000)}'\n`)).toMatchObject({ t: '['.repeat(900) });
  });

  it('a thread whose yaml overflowed its stack asks to be ended, and the reader starts another', async () => {
    // Straight to the thread, past the reader's checks: yaml reports the overflow as RESOURCE_EXHAUSTION,
    // and the next read in that isolate took V8 out of memory (FATAL ERROR: RegExpCompiler Allocation failed).
    const w = new Worker(new URL('./yaml-worker.mjs', import.meta.url), { execArgv: [] });
    try {
      const answer = new Promise<{ error?: string; retire?: boolean }>((resolve) => w.once('message', resolve));
      w.postMessage({ text: `${'- '.repeat(20_000)}x\n`, maxDepth: 32 });
      expect(await answer).toMatchObject({ error: expect.stringContaining('Maximum call stack size exceeded'), retire: true });
    } finally {
      await w.terminate();
    }
    // (Nothing more is sent to it: its next read is the one that ended the process.) A fresh thread
    // answers a file's own syntax error and is kept.
    const fresh = new Worker(new URL('./yaml-worker.mjs', import.meta.url), { execArgv: [] });
    try {
      const answer = new Promise<{ error?: string; retire?: boolean }>((resolve) => fresh.once('message', resolve));
      fresh.postMessage({ text: 'a: [1, 2', maxDepth: 32 });
      expect(await answer).toMatchObject({ error: expect.stringContaining('a: [1, 2'), retire: false });
    } finally {
      await fresh.terminate();
    }
  });
});
