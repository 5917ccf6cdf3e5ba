import { expect, it } from 'vitest';
import { slicer } from './loop-turns.ts';

it('a slicer gives the event loop a turn only once its slice has run', async () => {
  let now = 0;
  const pace = slicer(10, () => now);
  let turns = 0;
  const count = (): void => {
    setImmediate(() => turns++);
  };
  count();
  await pace(); // 0 ms in: no turn
  now = 9;
  await pace();
  expect(turns).toBe(0);
  now = 10;
  await pace(); // the slice is over: what waited runs
  expect(turns).toBe(1);
  count();
  now = 19; // a new slice began at 10
  await pace();
  expect(turns).toBe(1);
  now = 20;
  await pace();
  expect(turns).toBe(2);
});
