// Saved views: a screen's query by name, kept on the server for its owner or shared with everyone who
// reads the screen, with a live count of what it matches. The owner is the user the saving key acts
// as (api/user.ts); a personal view is its owner's alone: to anyone else, an admin too, it does not
// exist (404). A shared one is read by all and changed by its owner or an admin.

import {
  CalloutError,
  ConflictError,
  STORED_ATTEMPTS,
  NotFoundError,
  ValidationError,
  changedMeanwhile,
  checkRevision,
  type RevisionGuard,
  onWhatIsStored,
} from '../errors.ts';
import type { ConfigKind, SavedViewRow, Store } from '../store/types.ts';
import { isoTime as iso } from '../clock.ts';
import { uuidv7 } from '../ids.ts';
import { BLANK_MESSAGE, isBlank } from '../validation/blank.ts';
import { Screens, checkQuery, type ScreenDeps } from './screens.ts';
import { VIEW_LIMITS, type SavedView, type Screen, type ViewBody, type ViewCount, type ViewPatch } from './schemas.ts';

/**
 * What a rename can make a saved view's query miss: the screen and filter that name each by its name
 * (or id). Queues and users are not renamed (their PATCH keeps the name), so a view naming one stays true.
 */
const NAMED_BY = {
  process: { screen: 'cases', filter: 'process', kind: 'process' },
  actionType: { screen: 'work', filter: 'actionType', kind: 'action_type' },
  connector: { screen: 'work', filter: 'connector', kind: 'connector' },
} as const satisfies Record<string, { screen: Screen; filter: string; kind: ConfigKind }>;
export type Renamable = keyof typeof NAMED_BY;

/** Who asks: the user their key acts as, and whether they are an admin. */
export interface Viewer {
  user: string;
  admin: boolean;
}

export interface SavedViewServiceDeps extends ScreenDeps {
  store: Store;
}

// Line breaks (U+2028 and U+2029 too) and other control characters would break the one line a view's
// name is shown on; marks that reorder text (U+202E) would show others of a shared view a name that
// reads differently from what it is.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

function checkName(name: string): string {
  const trimmed = name.trim();
  if (isBlank(trimmed)) throw new ValidationError([{ field: 'name', message: BLANK_MESSAGE }]);
  if (CONTROL.test(trimmed))
    throw new ValidationError([{ field: 'name', message: 'must be one line, without control characters or marks that reorder text' }]);
  // One spelling of each letter (NFD "e\u0301cole" is "école"): names that look alike are alike.
  return trimmed.normalize('NFC');
}

/**
 * What makes two names one (one owner's, or the shared views'): case aside, and characters nobody sees
 * aside ("Urgent\u200b" is "Urgent"), so no two views show the same name.
 */
const nameKeyOf = (name: string): string => name.replace(/\p{Default_Ignorable_Code_Point}/gu, '').toLowerCase();

function viewOf(r: SavedViewRow, count?: ViewCount): SavedView {
  return {
    id: r.id,
    name: r.name,
    screen: r.screen,
    query: r.query,
    shared: r.shared,
    owner: r.owner,
    revision: r.revision,
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
    ...(count ? { count } : {}),
  };
}

export class SavedViewService {
  private readonly screens: Screens;

  constructor(private readonly d: SavedViewServiceDeps) {
    this.screens = new Screens(d);
  }

  async create(body: ViewBody, viewer: Viewer): Promise<SavedView> {
    const name = checkName(body.name);
    const { query } = await this.checkQuery(body.screen, body.query);
    const now = this.d.clock.now();
    const row: SavedViewRow = {
      id: uuidv7(now),
      owner: viewer.user,
      screen: body.screen,
      name,
      nameKey: nameKeyOf(name),
      query,
      shared: body.shared ?? false,
      revision: 1,
      createdAt: now,
      updatedAt: now,
    };
    if (!(await this.d.store.insertSavedView(row, VIEW_LIMITS.perOwner)))
      throw new ConflictError(
        `You have ${VIEW_LIMITS.perOwner} saved views, the most one person keeps: delete one you no longer use first`,
      );
    return viewOf(row);
  }

  /** The viewer's own views and the shared views of others (at most VIEW_LIMITS.sharedListed), each counted when asked. */
  async list(
    viewer: Viewer,
    opts: { screen?: Screen | undefined; counts?: boolean | undefined } = {},
  ): Promise<{ items: SavedView[]; more: boolean }> {
    const rows = await this.d.store.listSavedViews(viewer.user, opts.screen, VIEW_LIMITS.sharedListed + 1);
    const others = rows.filter((r) => r.owner !== viewer.user);
    const more = others.length > VIEW_LIMITS.sharedListed;
    const shown = more ? rows.filter((r) => r !== others.at(-1)) : rows;
    const items: SavedView[] = [];
    // One count at a time: a list of many views must not take every connection of the store at once.
    // The action types are read again once for the whole list, not once per view filtered by a connector.
    let refreshed: Promise<unknown> | undefined;
    const refresh = (): Promise<unknown> => (refreshed ??= this.d.registry.refresh());
    for (const r of shown)
      items.push(viewOf(r, opts.counts ? await this.screens.count(r.screen, r.query, viewer.user, refresh) : undefined));
    return { items, more };
  }

  async get(id: string, viewer: Viewer): Promise<SavedView> {
    return viewOf(await this.visible(id, viewer));
  }

  async count(id: string, viewer: Viewer): Promise<ViewCount> {
    const r = await this.visible(id, viewer);
    return this.screens.count(r.screen, r.query, viewer.user);
  }

  async update(id: string, patch: ViewPatch, viewer: Viewer, guard: RevisionGuard = {}): Promise<SavedView> {
    const name = patch.name === undefined ? undefined : checkName(patch.name);
    return onWhatIsStored('View', id, guard, async () => {
      const stored = await this.changeable(id, viewer);
      checkRevision('View', id, stored.revision, guard);
      const query = patch.query === undefined ? stored.query : (await this.checkQuery(stored.screen, patch.query)).query;
      const row: SavedViewRow = {
        ...stored,
        ...(name !== undefined ? { name, nameKey: nameKeyOf(name) } : {}),
        query,
        shared: patch.shared ?? stored.shared,
        revision: stored.revision + 1,
        updatedAt: this.d.clock.now(),
      };
      return (await this.d.store.updateSavedView(row, stored.revision)) ? viewOf(row) : undefined;
    });
  }

  async delete(id: string, viewer: Viewer, guard: RevisionGuard = {}): Promise<void> {
    const stored = await this.changeable(id, viewer);
    checkRevision('View', id, stored.revision, guard);
    if (!(await this.d.store.deleteSavedView(id, guard.ifRevision !== undefined ? stored.revision : undefined))) {
      // Deleted meanwhile (the same delete sent twice at once): a 404, as for any delete of a view not
      // there, not "changed by someone else" for a view nobody changed.
      if (!(await this.d.store.getSavedView(id))) throw new NotFoundError('View', id);
      throw changedMeanwhile('View', id, guard);
    }
  }

  /**
   * A process, action type or connector renamed: every owner's views whose filter holds it by its old
   * name filter by the new one (a view keeps the address's query, names and all, and found nothing
   * after a rename). A filter that holds it by id needs nothing. Renamed again meanwhile (a second
   * rename at once, on this node or another, whose views were looked for before this pass wrote them),
   * the views go on to its name now: `id` is read again after each pass until the name the pass wrote
   * is its name.
   */
  async followRename(renamed: Renamable, from: string, to: string, id?: string): Promise<void> {
    const { kind } = NAMED_BY[renamed];
    await this.renameIn(renamed, from, to);
    for (let i = 0; id !== undefined && i < STORED_ATTEMPTS; i++) {
      const now = await this.d.store.getConfig(kind, id);
      if (now === undefined || now.id !== id || now.name === to) return;
      // The name this pass wrote is another one's now: views naming it may be that one's.
      const holder = await this.d.store.getConfig(kind, to);
      if (holder !== undefined && holder.id !== id) return;
      await this.renameIn(renamed, to, now.name);
      to = now.name;
    }
  }

  /** The views whose filter names `renamed` by `from` name it by `to`. */
  private async renameIn(renamed: Renamable, from: string, to: string): Promise<void> {
    const { screen, filter } = NAMED_BY[renamed];
    for (const listed of await this.d.store.listSavedViewsNaming(screen, filter)) {
      let r: SavedViewRow | undefined = listed;
      // Guarded by revision: a view changed meanwhile is read again.
      for (let i = 0; i < STORED_ATTEMPTS && r; i++) {
        const params = new URLSearchParams(r.query);
        if (params.get(filter) !== from) break;
        params.set(filter, to);
        const next = { ...r, query: params.toString(), revision: r.revision + 1, updatedAt: this.d.clock.now() };
        if (await this.d.store.updateSavedView(next, r.revision)) break;
        r = await this.d.store.getSavedView(r.id);
      }
    }
  }

  private async checkQuery(screen: Screen, raw: string): Promise<{ query: string }> {
    const { query, params } = checkQuery(screen, raw);
    await this.screens.checkNames(screen, params);
    return { query };
  }

  /** The view, when the viewer may see it: theirs, or shared. Another's personal view is a 404, as if it did not exist. */
  private async visible(id: string, viewer: Viewer): Promise<SavedViewRow> {
    const r = await this.d.store.getSavedView(id);
    if (!r || (r.owner !== viewer.user && !r.shared)) throw new NotFoundError('View', id);
    return r;
  }

  private async changeable(id: string, viewer: Viewer): Promise<SavedViewRow> {
    const r = await this.visible(id, viewer);
    if (r.owner !== viewer.user && !viewer.admin)
      throw new CalloutError(
        'FORBIDDEN',
        `The view ${JSON.stringify(r.name)} is ${r.owner}'s: only its owner or an admin changes or deletes it`,
      );
    return r;
  }
}
