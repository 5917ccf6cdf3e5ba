// A duration in milliseconds as a builder would type it again: "2h", not "7200s".

const UNITS: Array<[string, number]> = [
  ['w', 604_800_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
];

/** The largest whole unit (`w`, `d`, `h`, `m`, `s`), else milliseconds: what the API's duration strings read back exactly. */
export function durationText(ms: number): string {
  if (ms > 0) for (const [unit, size] of UNITS) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
