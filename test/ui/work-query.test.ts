// The work search box's words: filter values with spaces (action type and queue names may have them)
// are written quoted and read back whole.

import { describe, expect, it } from 'vitest';
import { parseQuery, queryText } from '../../src/ui/client/pages/work.tsx';

describe('work search words', () => {
  it('quotes a value with spaces and reads it back whole', () => {
    const f = { actionType: 'send letter 6418', queue: 'hr', q: 'Jane Doe' };
    expect(queryText(f)).toBe('type:"send letter 6418" queue:hr Jane Doe');
    expect(parseQuery(`${queryText(f)} state:todo`).filters).toEqual({ ...f, state: 'todo' });
  });

  it('reads quoted phrases and plain words as before', () => {
    expect(parseQuery('state:waiting ref:EXT-1 zebra crossing').filters).toEqual({
      state: 'waiting',
      externalReference: 'EXT-1',
      q: 'zebra crossing',
    });
    expect(parseQuery('"two words" text:"a b"').filters).toEqual({ q: 'two words a b' });
    expect(parseQuery('  01a2499d-1531-7000-9486-53f9dea18223 ').actionId).toBe('01a2499d-1531-7000-9486-53f9dea18223');
  });
});
