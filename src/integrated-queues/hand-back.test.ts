import { describe, expect, it } from 'vitest';
import { handBackOf } from './service.ts';
import type { IntegrationLogEntry } from './rules.ts';

const e = (requestType: IntegrationLogEntry['requestType'], direction: 'In' | 'Out', at: number, payload = {}): IntegrationLogEntry => ({
  requestType,
  direction,
  at,
  payload,
  result: 'Accepted',
  actionId: null,
  queue: 'q',
});
const back = (at: number, solution: string) => e('Reassigned', 'In', at, { resolution: 'solved', solution });

describe('handBackOf: the solution shown on a task, from its integration log', () => {
  it('is none before any hand-back', () => {
    expect(handBackOf([e('Submit Request', 'Out', 1), e('Acknowledgement', 'In', 2)])).toBeNull();
  });
  it('is the last hand-back, through later updates and a closure', () => {
    const log = [e('Submit Request', 'Out', 1), back(2, 'first'), back(3, 'second'), e('Update', 'Out', 4), e('Closed', 'Out', 5)];
    expect(handBackOf(log)).toEqual({ resolution: 'solved', solution: 'second', at: 3 });
  });
  it('ends with a declined solution or a new submission', () => {
    expect(handBackOf([back(1, 'x'), e('Resolution Rejection', 'Out', 2)])).toBeNull();
    expect(handBackOf([back(1, 'x'), e('Submit Request', 'Out', 2)])).toBeNull();
    expect(handBackOf([back(1, 'x'), e('Resolution Rejection', 'Out', 2), back(3, 'y')])?.solution).toBe('y');
  });
});
