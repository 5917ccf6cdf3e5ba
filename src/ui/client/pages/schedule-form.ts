// The schedule editor's model: a schedule as the API gives it (GET /v1/schedules), the form it is
// edited in, and the body the form sends (POST /v1/schedules, PATCH /v1/schedules/{id}: the whole of
// what a builder chooses, so the PATCH is the form as shown).

import { ApiError } from '../api.ts';
import { shownZone } from '../time-zone.ts';

export type Launch =
  | { actionType: string; input?: Record<string, unknown> }
  | { process: string; title: string | null; data: Record<string, unknown>; owner: string | null };

export interface Schedule {
  id: string;
  name: string;
  cron: string;
  timezone: string;
  launch: Launch;
  paused: boolean;
  nextRunAt: string | null;
  lastTickAt: string | null;
  createdBy: string;
  /** The tag of what a builder chose, sent back as If-Match: a change is made only if nobody changed those since. */
  etag: string;
}

export interface Tick {
  tickAt: string;
  claimedBy: string;
  launchedId: string | null;
  error: string | null;
}

export interface Form {
  name: string;
  cron: string;
  timezone: string;
  kind: 'action' | 'case';
  actionType: string;
  input: string;
  process: string;
  title: string;
  data: string;
  owner: string;
  paused: boolean;
}

const json = (v: Record<string, unknown> | undefined): string => (v && Object.keys(v).length > 0 ? JSON.stringify(v, null, 2) : '');

export function formOf(s?: Schedule): Form {
  const l = s?.launch;
  const c = l && 'process' in l ? l : undefined;
  const a = l && 'actionType' in l ? l : undefined;
  return {
    name: s?.name ?? '',
    cron: s?.cron ?? '',
    // A new schedule starts in the zone the viewer reads times in (the zone setting): the times they type are theirs.
    timezone: s?.timezone ?? shownZone(),
    kind: c ? 'case' : 'action',
    actionType: a?.actionType ?? '',
    input: json(a?.input),
    process: c?.process ?? '',
    title: c?.title ?? '',
    data: json(c?.data),
    owner: c?.owner ?? '',
    paused: s?.paused ?? false,
  };
}

/** A JSON object typed in a box; empty is none. Refused by the field's name, as the API names its own. */
function objectIn(text: string, field: string): Record<string, unknown> {
  if (!text.trim()) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ApiError(422, 'Invalid input', '', [{ field, message: `is not valid JSON: ${(e as Error).message}` }]);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ApiError(422, 'Invalid input', '', [{ field, message: 'must be a JSON object, such as {"Title": "Daily check"}' }]);
  return v as Record<string, unknown>;
}

/** The body the form sends; throws (an ApiError naming the field) when a JSON box does not hold an object. */
export function bodyOf(f: Form): Record<string, unknown> {
  const launch =
    f.kind === 'action'
      ? { actionType: f.actionType, input: objectIn(f.input, 'launch.input') }
      : {
          process: f.process,
          data: objectIn(f.data, 'launch.data'),
          ...(f.title.trim() ? { title: f.title.trim() } : {}),
          ...(f.owner.trim() ? { owner: f.owner.trim() } : {}),
        };
  return { name: f.name.trim(), cron: f.cron.trim(), timezone: f.timezone.trim(), launch, paused: f.paused };
}

/** The form's fields by the API's name for them: a problem the API names is shown beside its field. */
export const FIELDS = [
  'name',
  'cron',
  'timezone',
  'paused',
  'launch',
  'launch.actionType',
  'launch.input',
  'launch.process',
  'launch.title',
  'launch.data',
  'launch.owner',
] as const;

/** Whether the API's `problem` is about `field`: the field itself, or inside it (`launch.input.Title`); `launch` only itself. */
export function isAbout(problem: string, field: string): boolean {
  return problem === field || (field !== 'launch' && (problem.startsWith(`${field}.`) || problem.startsWith(`${field}[`)));
}
