// Hostile JSONata mappings: each breaks a limit (time, depth, size) and fails its own evaluation or
// action, clearly; the process, the event loop and the other actions go on, and a restart does not
// pick the action up again.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { performance as loop } from 'node:perf_hooks';
import { Callout } from '../../src/callout.ts';
import { createLogger } from '../../src/logger.ts';
import { Problems } from '../../src/errors.ts';
import {
  EXPRESSION_TIME_LIMIT_MS,
  MappingError,
  compileExpression,
  evaluate,
  type CompiledExpression,
} from '../../src/action-types/mapping.ts';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';

const compile = (text: string): CompiledExpression => {
  const p = new Problems();
  const e = compileExpression(p, text, 'response.output');
  p.throwIfAny();
  return e!;
};

/**
 * Runs `fn` and measures the longest the event loop was blocked meanwhile: between two ticks of a 5 ms
 * timer, the time the loop was busy (its utilisation), not the wall time, since on a loaded two-core
 * machine the process can wait a quarter of a second to be scheduled while it is idle. On the main
 * thread these expressions would block it for the whole time limit (250 ms) or, for a native step,
 * for seconds; below 200 ms leaves room for a busy machine.
 */
async function withLoopWatch<T>(fn: () => Promise<T>): Promise<{ result: T; maxGapMs: number; ms: number }> {
  let last = loop.eventLoopUtilization();
  let maxGapMs = 0;
  const iv = setInterval(() => {
    const now = loop.eventLoopUtilization();
    maxGapMs = Math.max(maxGapMs, loop.eventLoopUtilization(now, last).active);
    last = now;
  }, 5);
  const t0 = Date.now();
  try {
    const result = await fn();
    const now = loop.eventLoopUtilization();
    maxGapMs = Math.max(maxGapMs, loop.eventLoopUtilization(now, last).active);
    return { result, maxGapMs, ms: Date.now() - t0 };
  } finally {
    clearInterval(iv);
  }
}

const HOSTILE: Array<[name: string, expr: string, limit: MappingError['limit'], input?: unknown]> = [
  ['endless recursion', '($f := function($n){ $f($n+1) }; $f(0))', 'time'],
  ['deep non-tail recursion', '($f := function($n){ 1 + $f($n+1) }; $f(0))', 'depth'],
  ['a range of five million', '[1..5000000]', 'size'],
  ['$string of a huge array', '$string([1..90000])', 'size'],
  ['$pad to a hundred million', '$length($pad("x", 100000000))', 'size'],
  ['a string doubled forty times', '$reduce([1..40], function($a, $i){ $a & $a }, "xxxxxxxx")', 'size'],
  ['$replace growing each character', '$replace($pad("x", 3000, "x"), /./, $pad("y", 3000, "y"))', 'size'],
  ['a shared-structure value stringified (2^40 nodes)', '$string($reduce([1..40], function($a, $i){ {"a": $a, "b": $a} }, 1))', 'time'],
  ['a result nested deeper than 32 levels', '$reduce([1..40], function($a, $i){ {"a": $a} }, 1)', 'depth'],
  ['regex catastrophic backtracking over outside data', '$match(text, /^(a+)+$/)', 'time', { text: `${'a'.repeat(34)}!` }],
  ['an endless loop over the input', '($x := [1..9000]; $x.($x.($)))', 'time'],
];

describe('expressions run under limits, off the main thread', () => {
  for (const [name, text, limit, input] of HOSTILE)
    it(`${name}: fails with the ${limit} limit, and the event loop keeps running`, async () => {
      const { result, maxGapMs, ms } = await withLoopWatch(() =>
        evaluate(compile(text), input ?? {}, { input: {} }).then(
          () => undefined,
          (e: unknown) => e,
        ),
      );
      expect(result).toBeInstanceOf(MappingError);
      const err = result as MappingError;
      expect(err.limit).toBe(limit);
      expect(err.message).toMatch(new RegExp(`^response\\.output exceeded the ${limit} limit`));
      // Stopped near the limit (a worker start is part of it after a kill), never minutes later.
      expect(ms).toBeLessThan(4 * EXPRESSION_TIME_LIMIT_MS + 2000);
      // Off the main thread: a loop blocked by the evaluation would stall for nearly all of it. Relative as
      // well as absolute, as a machine busy elsewhere stalls the loop too (235 ms once, beside a busy run).
      expect(maxGapMs).toBeLessThan(Math.max(200, ms / 2));
      // The pool is usable afterwards.
      expect(await evaluate(compile('{ "n": n + 1 }'), { n: 1 }, { input: {} })).toEqual({ n: 2 });
    });

  it('a body too deep to hand to a worker fails with the depth limit', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const err = await evaluate(compile('$'), deep, { input: {} }).catch((e: unknown) => e);
    expect((err as MappingError).limit).toBe('depth');
    expect((err as MappingError).message).toMatch(/^response\.output exceeded the depth limit/);
  });

  it('an ordinary failure is an error without a limit, named by its field', async () => {
    const err = await evaluate(compile('$sum("x")'), {}, { input: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MappingError);
    expect((err as MappingError).limit).toBeUndefined();
    expect((err as MappingError).message).toMatch(/^response\.output failed: /);
  });

  it('many evaluations at once, one of them hostile: the others all answer', async () => {
    const good = compile('{ "id": id, "twice": n * 2 }');
    const bad = compile('($f := function($n){ $f($n+1) }; $f(0))');
    const runs = [
      evaluate(bad, {}, { input: {} }).catch((e: unknown) => e),
      ...Array.from({ length: 50 }, (_, i) => evaluate(good, { id: `x${i}`, n: i }, { input: {} })),
    ];
    const [hostile, ...rest] = await Promise.all(runs);
    expect((hostile as MappingError).limit).toBe('time');
    expect(rest).toEqual(Array.from({ length: 50 }, (_, i) => ({ id: `x${i}`, twice: i * 2 })));
  });
});

describe('one slow expression does not keep the others waiting', () => {
  it('eight evaluations of a mapping that runs out of time: another expression is answered before most of them', async () => {
    const slow = compile('$match(text, /^(a+)+$/)');
    const fast = compile('{ "ticket": n }');
    const order: string[] = [];
    const slowRuns = Array.from({ length: 8 }, () =>
      evaluate(slow, { text: `${'a'.repeat(34)}!` }, { input: {} }).then(
        () => order.push('slow'),
        () => order.push('slow'),
      ),
    );
    // Once the first ran out of time, the expression holds one worker: the other is free for the rest.
    await Promise.race(slowRuns);
    const fastRuns = Array.from({ length: 5 }, (_, n) => evaluate(fast, { n }, { input: {} }).then(() => order.push('fast')));
    await Promise.all(fastRuns);
    // Served in turn before the six or so slow ones still waiting (one queue for all: after every one of them).
    expect(order.filter((x) => x === 'slow').length).toBeLessThanOrEqual(4);
    await Promise.all(slowRuns);
  }, 60_000);
});

describe('a mapping that breaks a limit fails its action, not the process', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await connector(h);
  });
  afterAll(async () => h.close());

  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['endless', { output: '($f := function($n){ $f($n+1) }; $f(0))' }, /response\.output exceeded the time limit of 250 ms/],
    ['huge', { output: '[1..5000000]' }, /response\.output exceeded the size limit/],
    ['deep', { successWhen: '($f := function($n){ 1 + $f($n+1) }; $f(0)) > 0' }, /response\.successWhen exceeded the depth limit/],
    ['backtrack', { output: '$match(echo.text, /^(a+)+$/)' }, /response\.output exceeded the time limit/],
  ];
  for (const [name, response, reason] of cases)
    it(`response mode, ${name}: To Do with the limit as the rejected reason; the API stays responsive`, async () => {
      await actionType(h, {
        name: `hostile-${name}`,
        path: '/ok',
        body: { format: 'json', template: '{"text": "{{ Text }}"}' },
        response,
      });
      const a = await launch(h, `hostile-${name}`, { Text: `${'a'.repeat(34)}!` });
      const { result: todo, maxGapMs, ms } = await withLoopWatch(() => h.waitFor(a.id, (x) => x.state === 'todo'));
      expect(todo.reason).toBe('updated_by_integration');
      expect(todo.rejectedReason).toMatch(/^Response mapping failed: /);
      expect(todo.rejectedReason).toMatch(reason);
      expect(todo.output ?? null).toBeNull();
      // Off the main thread, as above.
      expect(maxGapMs).toBeLessThan(Math.max(200, ms / 2));
      expect((await h.api('GET', '/health')).status).toBe(200);
    });

  it('a response body kept as the output (no output mapping) is bounded too', async () => {
    await actionType(h, {
      name: 'no-mapping',
      path: '/ok',
      body: { format: 'json', template: '{"a": "{{ Blob }}", "b": "{{ Blob }}"}' },
    });
    const small = await launch(h, 'no-mapping', { Blob: 'z'.repeat(1000) });
    expect((await h.waitFor(small.id, (x) => x.state !== 'waiting')).state).toBe('closed');
    // 140 KB of input, sent twice and echoed: a 280 KB answer.
    const big = await launch(h, 'no-mapping', { Blob: 'q'.repeat(140_000) });
    const todo = await h.waitFor(big.id, (x) => x.state !== 'waiting');
    expect(todo.state).toBe('todo');
    expect(todo.rejectedReason).toBe(
      'Response mapping failed: the response body, kept as the output (there is no response.output), is larger than 256 KB as JSON',
    );
  });

  it('a success callback whose output mapping breaks a limit: 200 to the caller, the action To Do with the reason; a repeat gets the same answer', async () => {
    await actionType(h, {
      name: 'cb-hostile',
      path: '/callback?never=1',
      body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}"}' },
      completion: { mode: 'callback' },
      response: { output: '($f := function($n){ $f($n+1) }; $f(0))' },
    });
    const a = await launch(h, 'cb-hostile');
    await h.waitFor(a.id, (x) => x.phase === 'awaiting_callback');
    const token = h.callout.engine.callbackToken(a.id);
    const r = await h.api('POST', `/v1/callbacks/${token}`, { outcome: 'success', data: { id: 1 } }, { authorization: '' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ state: 'todo', reason: 'updated_by_integration' });
    expect(r.body.rejectedReason).toBe('Callback output mapping failed: response.output exceeded the time limit of 250 ms');
    const t0 = Date.now();
    const again = await h.api('POST', `/v1/callbacks/${token}`, { outcome: 'success', data: { id: 1 } }, { authorization: '' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ state: 'todo', rejectedReason: r.body.rejectedReason });
    // Not evaluated again: the answer does not wait for the time limit.
    expect(Date.now() - t0).toBeLessThan(EXPRESSION_TIME_LIMIT_MS);
    const tl = (await h.api('GET', `/v1/actions/${a.id}/timeline`)).body.items;
    expect(tl.filter((e: { kind: string }) => e.kind === 'callback')).toHaveLength(1);
  });

  it('callback data kept as the output is bounded: too large turns the action To Do with the reason', async () => {
    await actionType(h, {
      name: 'cb-big',
      path: '/callback?never=1',
      body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}"}' },
      completion: { mode: 'callback' },
    });
    const a = await launch(h, 'cb-big');
    await h.waitFor(a.id, (x) => x.phase === 'awaiting_callback');
    const token = h.callout.engine.callbackToken(a.id);
    const r = await h.api('POST', `/v1/callbacks/${token}`, { outcome: 'success', data: { blob: 'b'.repeat(300_000) } });
    expect(r.status).toBe(200);
    expect(r.body.state).toBe('todo');
    expect(r.body.rejectedReason).toMatch(/the data, kept as the output .* is larger than 256 KB as JSON/);
    // The timeline keeps an excerpt, not the 300 KB.
    const tl = (await h.api('GET', `/v1/actions/${a.id}/timeline`)).body.items;
    const cb = tl.find((e: { kind: string }) => e.kind === 'callback');
    expect(cb.data.data.bytes).toBeGreaterThan(300_000);
    expect(JSON.stringify(cb).length).toBeLessThan(20_000);
  });
});

describe('after a restart', () => {
  it('an action failed by its mapping stays To Do: nothing is taken up again', async () => {
    const h = await startHarness({ start: false });
    try {
      await connector(h);
      await actionType(h, { name: 'loop', path: '/ok', response: { output: '($f := function($n){ $f($n+1) }; $f(0))' } });
      const a = await launch(h, 'loop');
      await h.callout.engine.tick();
      expect((await h.callout.actions.getAction(a.id)).state).toBe('todo');
      await h.callout.close();
      const again = await Callout.open({
        dataDir: h.dataDir,
        publicUrl: h.url,
        allowPrivateNetworks: true,
        logger: createLogger({ level: 'silent' }),
      });
      try {
        const { result: taken, maxGapMs, ms } = await withLoopWatch(() => again.engine.tick());
        expect(taken).toBe(0);
        // Off the main thread, as above.
        expect(maxGapMs).toBeLessThan(Math.max(200, ms / 2));
        expect((await again.actions.getAction(a.id)).state).toBe('todo');
        expect(h.mock.log.filter((e) => e.key === a.id)).toHaveLength(1);
      } finally {
        await again.close();
      }
    } finally {
      await h.app.close();
      await h.mock.close();
    }
  });
});
