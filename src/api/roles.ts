// Who may call what, named once: routes list the roles they admit (admin always is). A route with no
// list admits every valid key, integration keys included, so reads about people and the work manager
// name the people's roles instead: an external system's key reads actions, cases and the
// configuration it launches against (connectors, action types, schedules), not the directory routes
// (users, queues) or the UI's (notifications, the dashboard, the work list's counts, the live feed). An action's own view
// still names its queue and assignee: SPEC 10's contract.

export const ADMINS = ['admin'] as const;
export const BUILDERS = ['builder'] as const;
export const OPERATORS = ['operator'] as const;
/** The roles of people, who use the web UI and the work manager. */
export const PEOPLE = ['builder', 'operator'] as const;
/** A scraper's role: admitted only where a route names it (GET /metrics), never on a route with no list. */
export const SCRAPERS = ['metrics'] as const;

/** Whether a key holds nothing but the scraper's role, so a route open to every key must still refuse it. */
export const scraperOnly = (roles: readonly string[]): boolean => roles.every((r) => r === 'metrics');
