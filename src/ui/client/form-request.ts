// One request of a form at a time: the form is busy while it runs (its buttons disabled), and a
// refusal is kept for the form to show beside its fields.

import { useState } from 'preact/hooks';

export interface FormRequest {
  error: unknown;
  setError(e: unknown): void;
  busy: boolean;
  /** Sends it: its answer, or undefined when it was refused or failed (the error is kept). */
  run<T>(send: () => Promise<T>): Promise<{ value: T } | undefined>;
}

export function useFormRequest(): FormRequest {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async <T>(send: () => Promise<T>): Promise<{ value: T } | undefined> => {
    setBusy(true);
    try {
      const value = await send();
      setError(null);
      return { value };
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { error, setError, busy, run };
}
