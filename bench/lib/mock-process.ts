// The mock external system in its own process (src/mock/main.ts), started fresh for each measured run
// so its request log and counters belong to that run alone.

import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import { cpuSecondsOfPid } from './proc.ts';

export interface MockSettings {
  latencyMs: number;
  jitterMs: number;
  failRate: number;
  /** Budget of the mock's /ratelimited route: over it, 429 with Retry-After. */
  rateLimit?: { limit: number; perMs: number };
  callbackDelayMs?: number;
  /** Append every request (arrival time, idempotency key, status) to this file. */
  logFile?: string;
}

export interface MockLogLine {
  at: number;
  method: string;
  path: string;
  key: string | null;
  status: number;
}

export interface MockProcess {
  url: string;
  pid: number;
  settings: MockSettings;
  cpuSeconds(): number;
  stats(): Promise<{ requests: number; callbacksSent: number; callbackErrors: number; callbacksPending: number }>;
  /** SIGTERM, wait for exit (the log file is flushed on close). */
  stop(): Promise<void>;
}

export function mockArgs(s: MockSettings): string[] {
  const args = [
    '--port',
    '0',
    '--latency',
    String(s.latencyMs),
    '--jitter',
    String(s.jitterMs),
    '--fail-rate',
    String(s.failRate),
    '--no-memory-log',
  ];
  if (s.rateLimit) args.push('--rate-limit', `${s.rateLimit.limit}/${s.rateLimit.perMs}`);
  if (s.callbackDelayMs !== undefined) args.push('--callback-delay', String(s.callbackDelayMs));
  if (s.logFile) args.push('--log-file', s.logFile);
  return args;
}

export async function startMock(s: MockSettings): Promise<MockProcess> {
  const proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/mock/main.ts', ...mockArgs(s)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`mock did not start in 20 s: ${err}`)), 20_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /mock listening (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mock exited with ${code}: ${err}`));
    });
  });
  proc.stdout!.resume();
  return {
    url,
    pid: proc.pid!,
    settings: s,
    cpuSeconds: () => cpuSecondsOfPid(proc.pid!),
    async stats() {
      const r = await request(`${url}/_stats`);
      return (await r.body.json()) as Awaited<ReturnType<MockProcess['stats']>>;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        const hard = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        proc.once('exit', () => {
          clearTimeout(hard);
          resolve();
        });
        proc.kill('SIGTERM');
      }),
  };
}

/** Streams the mock's JSON-lines log (large logs are read line by line, never whole). */
export async function readMockLog(file: string, onLine: (l: MockLogLine) => void): Promise<number> {
  if (!existsSync(file)) return 0;
  let n = 0;
  const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line) continue;
    onLine(JSON.parse(line) as MockLogLine);
    n++;
  }
  return n;
}
