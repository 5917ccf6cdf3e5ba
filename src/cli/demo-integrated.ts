// The demo's integrated queue (SPEC 7): the mock plays an outside service provider (src/mock/provider.ts).
// A task assigned to the queue goes out as a Submit Request; the provider acknowledges with its ticket
// number, posts an update and hands the task back solved, each a few seconds apart; every exchange is
// in the task's integration log (GET /v1/actions/{id}/integration-log).

import type { Callout } from '../callout.ts';
import { toDoAction } from '../lifecycle/manual.ts';
import { uuidv7 } from '../ids.ts';

const FIELDS = {
  TaskId: { type: 'string' },
  Title: { type: 'string' },
  Note: { type: 'string', required: false },
  ExternalReference: { type: 'string', required: false },
  CaseData: { type: 'json', required: false },
};

const TYPES: Array<{ name: string; path: string; template: string }> = [
  {
    name: 'provider-submit',
    path: '/provider/submit',
    template: '{"callbackUrl": "{{ $callbackUrl }}", "task": "{{ TaskId }}", "title": "{{ Title }}"}',
  },
  { name: 'provider-update', path: '/provider/update', template: '{"ticket": "{{ ExternalReference }}", "note": "{{ Note }}"}' },
  { name: 'provider-close', path: '/provider/close', template: '{"ticket": "{{ ExternalReference }}", "note": "{{ Note }}"}' },
  {
    name: 'provider-reject-solution',
    path: '/provider/reject',
    template: '{"ticket": "{{ ExternalReference }}", "note": "{{ Note }}"}',
  },
];

/** Sets up the provider's connector, its four action types and the queue, and hands it a task; returns the task's id. */
export async function demoIntegratedQueue(callout: Callout, mockUrl: string, caseId: string): Promise<string> {
  const connector = { name: 'demo-provider', description: 'The mock as an outside service provider', baseUrl: mockUrl, timeout: '10s' };
  if (await callout.connectors.find(connector.name)) await callout.connectors.update(connector.name, connector, 'replace');
  else await callout.connectors.create(connector);
  for (const t of TYPES) {
    const body = {
      name: t.name,
      description: `Integrated queue: ${t.path}`,
      connector: connector.name,
      method: 'POST',
      path: t.path,
      fields: FIELDS,
      body: { format: 'json', template: t.template },
    };
    if (await callout.actionTypes.find(t.name)) await callout.actionTypes.update(t.name, body);
    else await callout.actionTypes.create(body);
  }
  if (!(await callout.users.find('demo-agent'))) await callout.users.create({ name: 'demo-agent', displayName: 'Demo Agent' });
  const queue = {
    description: 'Hardware repairs, handled by an outside provider',
    members: ['demo-agent'],
    allocation: 'round_robin',
    integration: {
      connector: connector.name,
      onAssign: 'provider-submit',
      onUpdate: 'provider-update',
      onClose: 'provider-close',
      onResolutionRejected: 'provider-reject-solution',
    },
  };
  if (await callout.store.getQueue('provider-desk')) await callout.queues.update('provider-desk', queue);
  else await callout.queues.create({ name: 'provider-desk', ...queue });

  // A person's task (as a process's manual step makes one), then handed to the provider's queue.
  const now = callout.clock.now();
  const task = toDoAction({
    id: uuidv7(now),
    actionTypeId: null,
    caseId,
    // A task's title, as a manual step's and one added by hand carry it (without one, lists said "Manual task").
    input: { title: 'Laptop screen flickers' },
    reason: 'manual',
    queue: null,
    assignee: null,
    message: 'Laptop screen flickers',
    now,
    actor: 'user:demo',
  });
  await callout.store.insertActions([task]);
  await callout.tasks.assign(task.action.id, 'demo', { queue: 'provider-desk' });
  return task.action.id;
}
