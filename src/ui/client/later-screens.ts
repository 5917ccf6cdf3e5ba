// The screens few page loads need, one chunk fetched the first time one of them is opened (main.tsx,
// LaterScreen): the builder's and the admin's (an operator's page load does not carry the editors they
// never use), and bulk replay, an operator's screen for a bad day.

export { ConnectorsPage, ConnectorPage } from './pages/connectors.tsx';
export { ActionTypesPage, ActionTypePage } from './pages/action-types.tsx';
export { ApiKeysPage } from './pages/api-keys.tsx';
export { WebhooksPage } from './pages/webhooks.tsx';
export { ConfigPage } from './pages/config.tsx';
export { ProcessesPage, ProcessPage } from './pages/processes.tsx';
export { QueuePage, QueuesPage } from './pages/queues.tsx';
export { UsersPage } from './pages/users.tsx';
export { ReplayRunPage, ReplaysPage } from './pages/replays.tsx';
