-- A queue's integration named its connector and action types as the request gave them (an id or a
-- name), so renaming one broke the queue: its next change was refused and its tasks were no longer
-- sent. It is kept by id now, as processes and schedules keep action types; this resolves the names
-- stored before. A name that names nothing any more stays as it is (the queue's screen shows it as
-- not found). The revision moves, so a change read before this cannot store the names again.
UPDATE queues SET
  doc = json_set(doc,
    '$.integration.connector', coalesce(
      (SELECT id FROM connectors WHERE id = json_extract(queues.doc, '$.integration.connector')),
      (SELECT id FROM connectors WHERE name = json_extract(queues.doc, '$.integration.connector')),
      json_extract(queues.doc, '$.integration.connector')),
    '$.integration.onAssign', coalesce(
      (SELECT id FROM action_types WHERE id = json_extract(queues.doc, '$.integration.onAssign')),
      (SELECT id FROM action_types WHERE name = json_extract(queues.doc, '$.integration.onAssign')),
      json_extract(queues.doc, '$.integration.onAssign')),
    '$.integration.onUpdate', coalesce(
      (SELECT id FROM action_types WHERE id = json_extract(queues.doc, '$.integration.onUpdate')),
      (SELECT id FROM action_types WHERE name = json_extract(queues.doc, '$.integration.onUpdate')),
      json_extract(queues.doc, '$.integration.onUpdate')),
    '$.integration.onClose', coalesce(
      (SELECT id FROM action_types WHERE id = json_extract(queues.doc, '$.integration.onClose')),
      (SELECT id FROM action_types WHERE name = json_extract(queues.doc, '$.integration.onClose')),
      json_extract(queues.doc, '$.integration.onClose')),
    '$.integration.onResolutionRejected', coalesce(
      (SELECT id FROM action_types WHERE id = json_extract(queues.doc, '$.integration.onResolutionRejected')),
      (SELECT id FROM action_types WHERE name = json_extract(queues.doc, '$.integration.onResolutionRejected')),
      json_extract(queues.doc, '$.integration.onResolutionRejected'))),
  revision = revision + 1
WHERE json_type(doc, '$.integration') = 'object';
