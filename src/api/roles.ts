// Who may call what, named once: routes list the roles they admit (admin always is). A route with no
// list admits every valid key, integration keys included, so reads about people and the work manager
// name the people's roles instead: an external system's key reads the actions it launches and the
// configuration it launches against (connectors, action types, schedules), not users, queues,
// notifications, the dashboard or the live feed.

export const ADMINS = ['admin'] as const;
export const BUILDERS = ['builder'] as const;
export const OPERATORS = ['operator'] as const;
/** The roles of people, who use the web UI and the work manager. */
export const PEOPLE = ['builder', 'operator'] as const;
