// Long work on the event loop in slices: a loop over a large request (a 50 MB bulk launch) gives other
// requests and the engine's sends a turn every few milliseconds. Counting items is not enough: 2,000
// rows of 24 KB held the loop 0.8 s where 2,000 rows of 50 bytes take 2 ms.

/** A turn of the event loop: what is waiting (I/O, timers) runs before this resolves. */
export const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** How long a slice may hold the loop before it gives a turn. */
export const SLICE_MS = 10;

/**
 * A pacer for one loop: `await pace()` after each item gives a turn once the slice has run `sliceMs`
 * since the last one, and costs a clock read otherwise. `now` is injectable for tests.
 */
export function slicer(sliceMs = SLICE_MS, now: () => number = () => performance.now()): () => Promise<void> {
  let since = now();
  return async () => {
    if (now() - since < sliceMs) return;
    await turn();
    since = now();
  };
}
