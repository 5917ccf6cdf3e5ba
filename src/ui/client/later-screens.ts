// The builder's and the admin's screens, one chunk fetched the first time one of them is opened
// (main.tsx, BuilderScreen): an operator's page load does not carry the editors they never use.

export { ConnectorsPage, ConnectorPage } from './pages/connectors.tsx';
export { ActionTypesPage, ActionTypePage } from './pages/action-types.tsx';
export { ApiKeysPage } from './pages/api-keys.tsx';
export { WebhooksPage } from './pages/webhooks.tsx';
export { ConfigPage } from './pages/config.tsx';
export { ProcessesPage, ProcessPage } from './pages/processes.tsx';
export { QueuePage, QueuesPage } from './pages/queues.tsx';
export { UsersPage } from './pages/users.tsx';
