import { expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from './logger.ts';
import { RepeatedFailure } from './repeated-failure.ts';

it('logs a repeating failure once, then once a minute with the count, and once when it clears', () => {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  let now = 0;
  const f = new RepeatedFailure(createLogger({ level: 'info', destination }), 'engine loop error; retrying', 'error', () => now);
  for (let i = 0; i < 60; i++, now += 1000) f.failed(new Error('connect ECONNREFUSED'));
  f.failed(new Error('connect ECONNREFUSED')); // at 60 s: the minute's summary
  f.succeeded();
  f.succeeded();
  f.failed(new Error('again'));
  expect(lines.map((l) => [l.msg, l.repeats])).toEqual([
    ['engine loop error; retrying', undefined],
    ['engine loop error; retrying', 59],
    ['engine loop error; retrying: recovered', undefined],
    ['engine loop error; retrying', undefined],
  ]);
  expect(lines[0]!.err).toMatchObject({ message: 'connect ECONNREFUSED' });
  expect(lines[1]!.failingSince).toBe('1970-01-01T00:00:00.000Z');
});
