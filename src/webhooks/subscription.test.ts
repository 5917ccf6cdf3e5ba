import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { WebhookSubscriptionBody, applySubscriptionPatch, validateSubscription } from './subscription.ts';
import { ValidationError } from '../errors.ts';

const OPEN = { allowPrivateNetworks: true };
const CLOSED = { allowPrivateNetworks: false };

function problems(f: () => unknown): Array<{ field: string; message: string }> {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).errors ?? [];
  }
  throw new Error('expected a ValidationError');
}

describe('a webhook subscription request', () => {
  it('is accepted and normalised: URL as parsed, duplicate events dropped, enabled by default', () => {
    expect(
      validateSubscription(
        { url: 'https://Hooks.Example.com/callout', events: ['action.state_changed', 'case.closed', 'case.closed'] },
        OPEN,
      ),
    ).toEqual({
      url: 'https://hooks.example.com/callout',
      events: ['action.state_changed', 'case.closed'],
      description: null,
      enabled: true,
    });
    expect(validateSubscription({ url: 'http://127.0.0.1:8080/h', events: ['*'], description: 'ops', enabled: false }, OPEN)).toMatchObject(
      {
        description: 'ops',
        enabled: false,
      },
    );
  });

  it('names each missing, unknown or mistyped field', () => {
    expect(problems(() => validateSubscription({}, OPEN))).toEqual([
      { field: 'url', message: 'is required' },
      { field: 'events', message: 'is required' },
    ]);
    const p = problems(() => validateSubscription({ url: 'https://x.example', events: [], secret: 'mine', enabled: 'yes' }, OPEN));
    expect(p).toEqual([
      { field: 'secret', message: 'is not a known field' },
      { field: 'events', message: 'must list at least 1' },
      { field: 'enabled', message: 'must be true or false' },
    ]);
    expect(problems(() => validateSubscription({ url: 'x'.repeat(3000), events: ['*'], description: 5 }, OPEN))).toEqual([
      { field: 'url', message: 'must be at most 2048 characters' },
      { field: 'description', message: 'must be a string' },
    ]);
    expect(problems(() => validateSubscription([], OPEN))).toEqual([{ field: '', message: 'the body must be a JSON object' }]);
  });

  it('refuses URLs that are not http(s), carry credentials or a fragment, or do not parse', () => {
    for (const [url, message] of [
      ['ftp://hooks.example.com/x', 'must use http or https'],
      ['file:///etc/passwd', 'must use http or https'],
      ['https://user:pw@hooks.example.com/x', 'must not contain a user name or password'],
      ['https://hooks.example.com/x#top', 'must not contain a #fragment (it is never sent)'],
      ['/relative/path', 'must be an absolute http or https URL'],
    ])
      expect(problems(() => validateSubscription({ url, events: ['*'] }, OPEN))).toEqual([{ field: 'url', message }]);
  });

  it('refuses a loopback, private or local address in any spelling when the deployment does not allow private networks', () => {
    for (const url of [
      'http://127.0.0.1:8080/h',
      'http://0x7f.1/h',
      'http://[::ffff:7f00:1]/h',
      'http://169.254.169.254/latest',
      'http://localhost./h',
      'http://10.1.2.3/h',
      'http://printer.local/h',
    ]) {
      const p = problems(() => validateSubscription({ url, events: ['*'] }, CLOSED));
      expect(
        p.map((e) => e.field),
        url,
      ).toEqual(['url']);
      expect(p[0]!.message).toMatch(/loopback or private address.*CALLOUT_ALLOW_PRIVATE_NETWORKS=1/);
      expect(
        problems(() =>
          applySubscriptionPatch({ url: 'https://a.example/h', events: ['*'], description: null, enabled: true }, { url }, CLOSED),
        ).map((e) => e.field),
      ).toEqual(['url']);
    }
    expect(validateSubscription({ url: 'https://hooks.example.com/h', events: ['*'] }, CLOSED).url).toBe('https://hooks.example.com/h');
  });

  it('refuses unknown event types and wildcards, naming the entry', () => {
    const p = problems(() => validateSubscription({ url: 'https://x.example', events: ['action.*', 'action.deleted', 'actions.*'] }, OPEN));
    expect(p.map((e) => e.field)).toEqual(['events[1]', 'events[2]']);
    expect(p[0]?.message).toContain('action.state_changed');
  });

  it('its schema is standard JSON Schema that the API validator (ajv) applies the same way', () => {
    const validate = new Ajv({ strict: false }).compile(WebhookSubscriptionBody);
    expect(validate({ url: 'https://x.example', events: ['*'] })).toBe(true);
    expect(validate({ url: 'https://x.example', events: ['*'], extra: 1 })).toBe(false);
  });
});

describe('changing a subscription', () => {
  const current = { url: 'https://a.example/h', events: ['*'], description: 'old', enabled: true };

  it('applies only the fields given; description can be cleared', () => {
    expect(applySubscriptionPatch(current, { enabled: false, description: null }, OPEN)).toEqual({
      ...current,
      enabled: false,
      description: null,
    });
    expect(applySubscriptionPatch(current, { events: ['task.*'] }, OPEN)).toEqual({ ...current, events: ['task.*'] });
  });

  it('refuses an empty change, unknown fields and bad values with the same checks as a create', () => {
    expect(problems(() => applySubscriptionPatch(current, {}, OPEN))).toEqual([
      { field: '', message: 'send at least one field to change' },
    ]);
    expect(problems(() => applySubscriptionPatch(current, { description: 7 }, OPEN))).toEqual([
      { field: 'description', message: 'must be a string or null' },
    ]);
    expect(problems(() => applySubscriptionPatch(current, { secret: 'x' }, OPEN))).toEqual([
      { field: 'secret', message: 'is not a known field' },
    ]);
    expect(problems(() => applySubscriptionPatch(current, { url: 'gopher://x' }, OPEN))).toEqual([
      { field: 'url', message: 'must use http or https' },
    ]);
  });
});
