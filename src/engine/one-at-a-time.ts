// Work on one key done one piece at a time, in arrival order; different keys run side by side.

/**
 * The tail of each key's chain; a key is forgotten when its last piece ends, so the map holds only
 * keys with work in flight. A piece that fails fails alone: the next one still runs.
 */
export class OneAtATime {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key);
    const mine = before === undefined ? fn() : before.then(fn, fn);
    const tail = mine.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return mine;
  }

  /** Keys with work in flight (for tests: the map must not grow with every key ever seen). */
  get size(): number {
    return this.tails.size;
  }
}
