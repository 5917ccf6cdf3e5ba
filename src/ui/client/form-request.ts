// One request of a form at a time: the form is busy while it runs (its buttons disabled), and a
// refusal is kept for the form to show beside its fields.

import { useRef, useState } from 'preact/hooks';

export interface FormRequest {
  error: unknown;
  setError(e: unknown): void;
  busy: boolean;
  /** Sends it: its answer, or undefined when it was refused or failed (the error is kept), or one was already on its way. */
  run<T>(send: () => Promise<T>): Promise<{ value: T } | undefined>;
}

/**
 * A form's request while it is on its way: one at a time (a second is not sent: undefined), `busy`
 * meanwhile. A builder form disables its fields with it (`<fieldset class="form-fields" disabled={busy}>`):
 * a second click sent the revision just saved again, which the server refuses as someone else's save,
 * and text typed before the answer came was replaced by what the answer stored. The control that had
 * the focus gets it back once the fields are enabled again.
 */
export function useOneAtATime(
  /** Where the focus goes when the control that had it is gone (a button replaced by the answer's state). */
  fallback?: () => HTMLElement | null | undefined,
): [boolean, <T>(work: () => Promise<T>) => Promise<T | undefined>] {
  const [busy, setBusy] = useState(false);
  const running = useRef(false);
  const once = async <T>(work: () => Promise<T>): Promise<T | undefined> => {
    if (running.current) return undefined;
    running.current = true;
    const focused = document.activeElement;
    setBusy(true);
    try {
      return await work();
    } finally {
      running.current = false;
      setBusy(false);
      // After the render that enables the fields (Preact renders in a microtask): a disabled control lost the focus.
      setTimeout(() => {
        const now = document.activeElement;
        if (now !== null && now !== document.body) return;
        if (focused instanceof HTMLElement && focused.isConnected) return focused.focus();
        // The control is gone (replaced by what the answer changed): the place given, else the page's heading.
        const there = fallback?.();
        if (there?.isConnected) there.focus();
        else document.querySelector<HTMLElement>('#main h1')?.focus({ preventScroll: true });
      }, 0);
    }
  };
  return [busy, once];
}

export function useFormRequest(fallback?: () => HTMLElement | null | undefined): FormRequest {
  const [error, setError] = useState<unknown>(null);
  const [busy, once] = useOneAtATime(fallback);
  const run = <T>(send: () => Promise<T>): Promise<{ value: T } | undefined> =>
    once(async () => {
      try {
        const value = await send();
        setError(null);
        return { value };
      } catch (e) {
        setError(e);
        return undefined;
      }
    });
  return { error, setError, busy, run };
}
