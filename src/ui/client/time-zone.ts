// The zone times are shown in: the browser's (the default), UTC or any zone, chosen per browser and
// kept in localStorage. Browser-local on purpose: the zone belongs to the desk a person sits at (the
// same operator on a laptop abroad wants that zone), it needs no server round trip before the first
// time is drawn, and Temporal's UI keeps it the same way. Other tabs follow through the storage event.

import { useEffect, useState } from 'preact/hooks';
import { browserZone, resolveZone } from './times.ts';

export const ZONE_KEY = 'callout.timeZone';

/** What is stored: a zone's name, or nothing for the browser's own. */
function stored(): string | undefined {
  try {
    return resolveZone(localStorage.getItem(ZONE_KEY));
  } catch {
    return undefined; // storage refused (a locked-down browser): the browser's zone
  }
}

let chosen = stored();
const listeners = new Set<() => void>();
const changed = (): void => listeners.forEach((l) => l());

/** The zone chosen, undefined for the browser's own. */
export const chosenZone = (): string | undefined => chosen;

/** The zone times are shown in now. */
export const shownZone = (): string => chosen ?? browserZone();

/** Shows times in `zone` from now on (undefined: the browser's), here and in the browser's other tabs. */
export function chooseZone(zone: string | undefined): void {
  const z = resolveZone(zone);
  try {
    if (z) localStorage.setItem(ZONE_KEY, z);
    else localStorage.removeItem(ZONE_KEY);
  } catch {
    // Not kept (storage refused); this tab still follows the choice.
  }
  if (z === chosen) return;
  chosen = z;
  changed();
}

if (typeof window !== 'undefined')
  window.addEventListener('storage', (e) => {
    if (e.key !== ZONE_KEY && e.key !== null) return; // null: storage cleared
    const z = stored();
    if (z === chosen) return;
    chosen = z;
    changed();
  });

/** The zone shown, re-rendering the caller when it changes (here or in another tab). */
export function useTimeZone(): string {
  const [, redraw] = useState(0);
  useEffect(() => {
    const l = (): void => redraw((n) => n + 1);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return shownZone();
}
