// Buffered JSON-lines writer for the mock's request log: lines collect in memory and are appended
// to the file at least every 100 ms (and on close), so logging never costs a write per request.
import { createWriteStream, type WriteStream } from 'node:fs';

const FLUSH_INTERVAL_MS = 100;
/** Flush early when this many lines are waiting, so a burst does not build a huge string. */
const FLUSH_AT_LINES = 4096;

export class LogFileWriter {
  readonly path: string;
  private readonly stream: WriteStream;
  private readonly timer: NodeJS.Timeout;
  private pending: string[] = [];
  private closed: Promise<void> | null = null;
  private failed = false;

  constructor(path: string) {
    this.path = path;
    this.stream = createWriteStream(path, { flags: 'a' });
    // A broken log file must not take the mock down; say so once and stop writing.
    this.stream.on('error', (err) => {
      if (!this.failed) process.stderr.write(`mock: cannot write log file ${path}: ${err.message}\n`);
      this.failed = true;
      this.pending = [];
    });
    this.timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  append(line: string): void {
    if (this.failed || this.closed) return;
    this.pending.push(line);
    if (this.pending.length >= FLUSH_AT_LINES) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0 || this.failed) return;
    const text = this.pending.join('\n') + '\n';
    this.pending = [];
    this.stream.write(text);
  }

  /** Flushes what is buffered and closes the file; safe to call more than once. */
  close(): Promise<void> {
    if (this.closed) return this.closed;
    clearInterval(this.timer);
    this.flush();
    this.closed = new Promise<void>((resolve) => {
      if (this.stream.destroyed) return resolve();
      this.stream.end(() => resolve());
      // 'finish' never comes after an error; don't hang close() on a broken file.
      this.stream.once('error', () => resolve());
    });
    return this.closed;
  }
}
