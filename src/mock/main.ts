// Runs the mock external system as its own process: `tsx src/mock/main.ts --port 0 --latency 20`.
// Prints one line `mock listening <url>` on stdout when ready; SIGTERM/SIGINT close it cleanly.
import { parseArgs } from 'node:util';
import { parseDuration } from '../lifecycle/duration.ts';
import { startMockServer, type MockOptions } from './server.ts';

const USAGE = `usage: mock [options]
  --port N               port to listen on (default 0: an ephemeral port)
  --host H               address to listen on (default 127.0.0.1)
  --latency D            added to every answer (ms, or "50ms", "1s")
  --jitter D             uniform random extra latency 0..D
  --fail-rate R          share 0..1 of requests answered 503
  --rate-limit N/MS      budget for /ratelimited, e.g. 50/1000
  --callback-delay D     delay before /callback calls back (default 100 ms)
  --log-file PATH        append each request as a JSON line
  --no-memory-log        do not keep the request log in memory
  --keep-bodies          keep request bodies in the log`;

class UsageError extends Error {
  override name = 'UsageError';
}

function parseOptions(argv: string[]): MockOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      latency: { type: 'string' },
      jitter: { type: 'string' },
      'fail-rate': { type: 'string' },
      'rate-limit': { type: 'string' },
      'callback-delay': { type: 'string' },
      'log-file': { type: 'string' },
      'no-memory-log': { type: 'boolean' },
      'keep-bodies': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  const opts: MockOptions = {};
  if (values.host !== undefined) opts.host = values.host;
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0..65535');
    opts.port = port;
  }
  if (values.latency !== undefined) opts.latencyMs = duration('--latency', values.latency);
  if (values.jitter !== undefined) opts.jitterMs = duration('--jitter', values.jitter);
  if (values['callback-delay'] !== undefined) {
    opts.callbackDelayMs = duration('--callback-delay', values['callback-delay']);
  }
  if (values['fail-rate'] !== undefined) {
    const rate = Number(values['fail-rate']);
    if (!(rate >= 0 && rate <= 1)) throw new UsageError('--fail-rate must be a number from 0 to 1');
    opts.failRate = rate;
  }
  if (values['rate-limit'] !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(values['rate-limit']);
    const limit = Number(m?.[1]);
    const perMs = Number(m?.[2]);
    if (!m || perMs <= 0) throw new UsageError('--rate-limit must be N/MS, e.g. 50/1000');
    opts.rateBudget = { limit, perMs };
  }
  if (values['log-file'] !== undefined) opts.logFile = values['log-file'];
  if (values['no-memory-log']) opts.keepLog = false;
  if (values['keep-bodies']) opts.keepBodies = true;
  return opts;
}

function duration(flag: string, raw: string): number {
  const ms = parseDuration(raw);
  if (ms === undefined) throw new UsageError(`${flag} must be a duration: milliseconds, or e.g. "50ms", "1s"`);
  return ms;
}

async function main(): Promise<void> {
  let opts: MockOptions;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`mock: ${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  const server = await startMockServer(opts);
  let stopping = false;
  const stop = (): void => {
    // A second signal means "now": skip the clean shutdown.
    if (stopping) process.exit(1);
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`mock: error while closing: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(`mock listening ${server.url}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`mock: ${(err as Error).message}\n`);
  process.exit(1);
});
