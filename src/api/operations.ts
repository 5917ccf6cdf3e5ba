// Each documented operation's `operationId` and `summary`, in one place. Generated clients name their
// methods after operationId (without one, after the path: `postV1ActionsIdRetry`), so these names are
// a contract as the routes are: add new ones, never rename. A route's own `summary` wins over the one
// here; the OpenAPI test holds the table and the routes to each other (no route without a name, no
// name without a route, no name twice).

/** `METHOD /path` (the document's path, `{param}`) → [operationId, summary]. */
export const OPERATIONS: Readonly<Record<string, readonly [string, string]>> = {
  // Connectors
  'POST /v1/connectors': ['createConnector', 'Create a connector'],
  'GET /v1/connectors': ['listConnectors', 'List connectors'],
  'GET /v1/connectors/{id}': ['getConnector', 'Read a connector'],
  'PATCH /v1/connectors/{id}': ['updateConnector', 'Change a connector'],
  'GET /v1/connectors/{id}/health': ['getConnectorHealth', "A connector's health over time"],
  'POST /v1/connectors/{id}/test': ['testConnector', "Test a connector's connection to its external system"],
  // Action types
  'POST /v1/action-types': ['createActionType', 'Create an action type'],
  'GET /v1/action-types': ['listActionTypes', 'List action types'],
  'GET /v1/action-types/{id}': ['getActionType', 'Read an action type'],
  'PATCH /v1/action-types/{id}': ['updateActionType', 'Change an action type'],
  'POST /v1/action-types/{id}/test': ['testActionType', 'Render the request an action type would send; send it once if asked'],
  'GET /v1/action-types/{id}/schema': ['getActionTypeSchema', "An action type's input fields as JSON Schema"],
  'POST /v1/action-types/preview-fields': ['previewActionTypeFields', 'The fields templates would have, nothing saved'],
  // Actions
  'POST /v1/actions': ['launchAction', 'Launch an action'],
  'GET /v1/actions': ['listActions', 'List actions (the work list)'],
  'GET /v1/actions/counts': ['countActions', 'Count actions by state, phase, reason and resolution'],
  'GET /v1/actions/{id}': ['getAction', 'Read an action'],
  'GET /v1/actions/{id}/timeline': ['getActionTimeline', "A page of an action's timeline"],
  'POST /v1/actions/{id}/retry': ['retryAction', 'Retry an action, its input corrected if given'],
  'POST /v1/actions/{id}/pause': ['pauseAction', 'Pause an action'],
  'POST /v1/actions/{id}/resume': ['resumeAction', 'Resume a paused action'],
  'POST /v1/actions/{id}/pick-up': ['pickUpAction', 'Take a task: assigned to you, In Progress'],
  'POST /v1/actions/{id}/complete': ['completeAction', 'Complete a task with a resolution'],
  'POST /v1/actions/{id}/assign': ['assignAction', 'Assign a task to a queue or person'],
  'POST /v1/actions/{id}/due': ['setActionDue', "Set or clear a task's due time"],
  'POST /v1/actions/{id}/notes': ['addActionNote', 'Add a note to an action'],
  'GET /v1/actions/{id}/integration-log': ['getActionIntegrationLog', "A task's requests to and from its integrated queue"],
  'POST /v1/actions/{id}/decline-solution': ['declineActionSolution', "Decline an integrated queue's solution"],
  // Callbacks, by token and by reference
  'POST /v1/callbacks/{token}': ['sendCallback', "An external system's outcome for an action"],
  'POST /v1/callbacks/{token}/acknowledge': ['acknowledgeCallback', 'An external system took the action, under its reference'],
  'POST /v1/callbacks/{token}/heartbeat': ['sendCallbackHeartbeat', 'An external system is still working: the deadline moves'],
  'POST /v1/callbacks/{token}/messages': ['sendCallbackMessage', "An external system's message for the timeline"],
  'POST /v1/callbacks/{token}/hand-back': ['handBackCallback', 'An integrated queue gives a task back'],
  'POST /v1/connectors/{connector}/inbound/{externalReference}': ['sendInboundCallback', 'An outcome by external reference (signed)'],
  'POST /v1/connectors/{connector}/inbound/{externalReference}/acknowledge': [
    'acknowledgeInboundCallback',
    'An acknowledgement by external reference (signed)',
  ],
  'POST /v1/connectors/{connector}/inbound/{externalReference}/messages': [
    'sendInboundMessage',
    'A message by external reference (signed)',
  ],
  'POST /v1/connectors/{connector}/inbound/{externalReference}/hand-back': [
    'handBackInbound',
    'A task given back by external reference (signed)',
  ],
  // Cases
  'POST /v1/cases': ['createCase', 'Open a case'],
  'GET /v1/cases': ['listCases', 'List cases'],
  'GET /v1/cases/{id}': ['getCase', 'Read a case with its steps'],
  'GET /v1/cases/{id}/history': ['getCaseHistory', "A case's history: what happened to it, by whom and when, newest first"],
  'PATCH /v1/cases/{id}': ['updateCase', "Change a case's title, data, owner or queue"],
  'POST /v1/cases/{id}/tasks': ['addCaseTask', 'Add a task to a case by hand'],
  'POST /v1/cases/{id}/close': ['closeCase', 'Close a case'],
  'POST /v1/cases/{id}/steps/{name}/retry': [
    'retryCaseStep',
    'Run a failed step again (its expression or condition failed, or its task was closed Not Done)',
  ],
  'POST /v1/cases/{id}/steps/{name}/skip': ['skipCaseStep', 'Skip a failed step the case stopped at, for good, and go on'],
  // People and work
  'GET /v1/notifications': ['listNotifications', "The caller's notifications"],
  'POST /v1/notifications/read': ['markNotificationsRead', "Mark the caller's notifications read: all, or up to `upTo`"],
  'POST /v1/notifications/{id}/read': ['markNotificationRead', 'Mark a notification read'],
  'POST /v1/users': ['createUser', 'Create a user'],
  'GET /v1/users': ['listUsers', 'List users'],
  'GET /v1/users/{name}': ['getUser', 'Read a user'],
  'PATCH /v1/users/{name}': ['updateUser', 'Change a user: display name, email, disabled'],
  'POST /v1/queues': ['createQueue', 'Create a queue'],
  'GET /v1/queues': ['listQueues', 'List queues'],
  'GET /v1/queues/{name}': ['getQueue', 'Read a queue'],
  'PATCH /v1/queues/{name}': ['updateQueue', 'Change a queue'],
  'POST /v1/processes': ['createProcess', 'Create a process'],
  'GET /v1/processes': ['listProcesses', 'List processes'],
  'GET /v1/processes/{id}': ['getProcess', 'Read a process'],
  'GET /v1/process-names': ['listProcessNames', 'List the names of processes, newest first, without their definitions (for pickers)'],
  'PATCH /v1/processes/{id}': ['updateProcess', 'Change a process'],
  'POST /v1/views': ['createView', 'Save a view'],
  'GET /v1/views': ['listViews', 'List saved views'],
  'GET /v1/views/{id}': ['getView', 'Read a saved view'],
  'PATCH /v1/views/{id}': ['updateView', 'Change a saved view'],
  'DELETE /v1/views/{id}': ['deleteView', 'Delete a saved view'],
  'GET /v1/views/{id}/count': ['countView', "How many items the view's query matches now"],
  // Access
  'POST /v1/api-keys': ['createApiKey', 'Create an API key (its secret is answered once)'],
  'GET /v1/api-keys': ['listApiKeys', 'List API keys'],
  'DELETE /v1/api-keys/{id}': ['revokeApiKey', 'Revoke an API key'],
  // Configuration
  'GET /v1/config/export': ['exportConfig', 'Export the configuration'],
  'POST /v1/config/import': ['importConfig', 'Import a configuration'],
  // Bulk work and schedules
  'POST /v1/bulk-launches': ['createBulkLaunch', 'Launch many actions from rows or CSV'],
  'GET /v1/bulk-launches/{id}': ['getBulkLaunch', "A bulk launch's report"],
  'POST /v1/bulk-replays': ['createBulkReplay', 'Replay the actions a filter selects'],
  'GET /v1/bulk-replays': ['listBulkReplays', 'List bulk replay runs'],
  'GET /v1/bulk-replays/{id}': ['getBulkReplay', 'A bulk replay run with its items'],
  'POST /v1/schedules': ['createSchedule', 'Create a schedule'],
  'GET /v1/schedules': ['listSchedules', 'List schedules'],
  'GET /v1/schedules/{id}': ['getSchedule', 'Read a schedule'],
  'PATCH /v1/schedules/{id}': ['updateSchedule', 'Change a schedule'],
  'DELETE /v1/schedules/{id}': ['deleteSchedule', 'Delete a schedule'],
  // Webhooks
  'POST /v1/webhooks': ['createWebhook', 'Subscribe a URL to events'],
  'GET /v1/webhooks': ['listWebhooks', 'List webhook subscriptions'],
  'GET /v1/webhooks/{id}': ['getWebhook', 'Read a webhook subscription'],
  'PATCH /v1/webhooks/{id}': ['updateWebhook', 'Change a webhook subscription'],
  'DELETE /v1/webhooks/{id}': ['deleteWebhook', 'Delete a webhook subscription'],
  'POST /v1/webhooks/{id}/rotate-secret': ['rotateWebhookSecret', "Rotate a subscription's signing secret"],
  'GET /v1/webhooks/{id}/deliveries': ['listWebhookDeliveries', "A subscription's deliveries"],
  'POST /v1/webhooks/{id}/deliveries/{deliveryId}/retry': ['retryWebhookDelivery', 'Send a delivery again'],
  // Operations and the UI
  'GET /metrics': ['getMetrics', "This node's metrics"],
  'GET /v1/events': ['streamEvents', 'Which actions changed, as server-sent events'],
  'GET /v1/dashboard': ['getDashboard', 'Connector health and activity'],
};

/** The table's entry for a route as Fastify names it (`/v1/actions/:id`). */
export function operationOf(method: string, url: string): readonly [string, string] | undefined {
  return OPERATIONS[`${method.toUpperCase()} ${url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`];
}
