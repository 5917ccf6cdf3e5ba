// The mock's outside service provider for integrated queues (SPEC 7): POST /provider/submit takes a
// task (its `callbackUrl` is the launched action's $callbackUrl) and answers with a ticket number,
// then acknowledges with that number, posts an update and hands the task back solved, one after the
// other (each waits for the previous answer, so they arrive in order). Other /provider/... paths (an
// update, a closure, a rejected resolution) are simply accepted.

import type { Answer, MockRequest, RouteState } from './types.ts';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function provider(req: MockRequest, state: RouteState): Answer {
  const body = isRecord(req.body) ? req.body : {};
  if (req.path !== '/provider/submit') return { status: 200, body: JSON.stringify({ received: req.path.slice('/provider/'.length) }) };
  const ticket = `PRV-${++state.nextRef}`;
  const answer: Answer = { status: 201, body: JSON.stringify({ ticket }) };
  const raw = typeof body.callbackUrl === 'string' ? body.callbackUrl : null;
  let target: URL | null = null;
  try {
    target = raw ? new URL(raw) : null;
  } catch {
    return { status: 400, body: '{"error":"callbackUrl is not a URL"}' };
  }
  // `"script": "none"` takes the task and stays silent (a test then answers for the provider itself).
  if (target && body.script !== 'none') {
    const base = target.href.replace(/\/$/, '');
    const steps: Array<[string, unknown]> = [
      ['acknowledge', { externalReference: ticket }],
      ['messages', { message: `We are on it (${ticket})` }],
      ['hand-back', { resolution: 'solved', solution: `Replaced the faulty part (${ticket})` }],
    ];
    const delayMs = typeof body.delayMs === 'number' ? body.delayMs : state.callbackDelayMs;
    answer.then = () => void play(base, steps, delayMs);
  }
  return answer;
}

async function play(base: string, steps: Array<[string, unknown]>, delayMs: number): Promise<void> {
  for (const [path, payload] of steps) {
    await new Promise((r) => setTimeout(r, delayMs));
    for (let attempt = 0; attempt < 3; attempt++) {
      const ok = await fetch(`${base}/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      }).then(
        (r) => r.status < 500,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
