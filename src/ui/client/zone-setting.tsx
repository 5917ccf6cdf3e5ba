// The header's time zone setting: which zone every time in the UI is shown in. A search box over the
// browser's list of zones (a datalist: typing "york" offers America/New_York), applied when a zone is
// picked from the list or the box is submitted; anything that is not a zone is refused by name.

import { useEffect, useState } from 'preact/hooks';
import { announce } from './components.tsx';
import { chooseZone, chosenZone, useTimeZone } from './time-zone.ts';
import { browserZone, knownZones, resolveZone } from './times.ts';

export function ZoneSetting() {
  const zone = useTimeZone();
  const chosen = chosenZone();
  const browserChoice = `Browser (${browserZone()})`;
  const [open, setOpen] = useState(false);
  const [text, setText] = useState(chosen ?? browserChoice);
  const [error, setError] = useState('');
  // A choice made in another tab shows here too.
  useEffect(() => {
    setText(chosen ?? browserChoice);
    setError('');
  }, [chosen, browserChoice]);

  const apply = (value: string): void => {
    const v = value.trim();
    const browser = v === '' || v.toLowerCase() === 'browser' || v.toLowerCase() === browserChoice.toLowerCase();
    const z = browser ? undefined : resolveZone(v);
    if (!browser && !z) {
      setError(`"${v.slice(0, 64)}" is not a time zone: choose one from the list, such as UTC or Europe/Amsterdam.`);
      return;
    }
    setError('');
    setText(z ?? browserChoice);
    chooseZone(z);
    announce(`Times are now shown in ${z ?? `the browser's zone, ${browserZone()}`}.`);
  };

  return (
    <details class="zone-setting" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        Times in <span data-testid="shown-zone">{zone}</span>
      </summary>
      {open && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            apply(text);
          }}
        >
          <label for="time-zone">Show times in</label>
          <input
            id="time-zone"
            list="time-zones"
            autoComplete="off"
            spellcheck={false}
            value={text}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'time-zone-hint time-zone-error' : 'time-zone-hint'}
            onInput={(e) => {
              setText(e.currentTarget.value);
              setError('');
              // A pick from the list applies at once; typing waits for Enter or Apply.
              if ((e as InputEvent).inputType === 'insertReplacementText' || (e as InputEvent).inputType === undefined) {
                const v = e.currentTarget.value;
                if (v === browserChoice || knownZones().includes(v)) apply(v);
              }
            }}
          />
          <datalist id="time-zones">
            <option value={browserChoice} />
            {knownZones().map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>
          <button type="submit">Apply</button>
          <small id="time-zone-hint" class="hint">
            The browser's zone, UTC or any zone (type to search, e.g. New_York). Kept in this browser.
          </small>
          {error && (
            <p id="time-zone-error" class="error" role="alert">
              {error}
            </p>
          )}
        </form>
      )}
    </details>
  );
}
