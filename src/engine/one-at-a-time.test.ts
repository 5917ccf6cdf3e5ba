import { expect, it } from 'vitest';
import { OneAtATime } from './one-at-a-time.ts';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

it('runs the pieces of one key in turn, in arrival order, and other keys beside them', async () => {
  const q = new OneAtATime();
  const log: string[] = [];
  const piece = (key: string, n: number) =>
    q.run(key, async () => {
      log.push(`${key}${n} start`);
      await tick();
      log.push(`${key}${n} end`);
      return n;
    });
  const done = await Promise.all([piece('a', 1), piece('a', 2), piece('b', 1)]);
  expect(done).toEqual([1, 2, 1]);
  // a2 starts only after a1 ends; b1 runs while a1 does.
  expect(log.indexOf('a2 start')).toBeGreaterThan(log.indexOf('a1 end'));
  expect(log.indexOf('b1 start')).toBeLessThan(log.indexOf('a1 end'));
});

it('a piece that fails fails alone, and a key is forgotten once its work is done', async () => {
  const q = new OneAtATime();
  const failed = q.run('a', () => Promise.reject(new Error('no')));
  const next = q.run('a', () => Promise.resolve('yes'));
  await expect(failed).rejects.toThrow('no');
  await expect(next).resolves.toBe('yes');
  for (let i = 0; i < 100; i++) await q.run(`k${i}`, () => Promise.resolve(i));
  await tick();
  expect(q.size).toBe(0);
});
