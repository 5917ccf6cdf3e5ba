// What readSettings throws for an environment (undefined when it takes it): the tests of settings look
// at the refusal's fields.

import { readSettings } from '../../src/settings.ts';

export function settingsRefusal(env: Record<string, string>): unknown {
  try {
    readSettings({}, env);
  } catch (e) {
    return e;
  }
  return undefined;
}
