-- A queue's integration named its connector and action types as the request gave them (an id or a
-- name), so renaming one broke the queue: its next change was refused and its tasks were no longer
-- sent. It is kept by id now, as processes and schedules keep action types; this resolves the names
-- stored before. A name that names nothing any more stays as it is (the queue's screen shows it as
-- not found). The revision moves, so a change read before this cannot store the names again.
UPDATE queues q SET
  doc = jsonb_set(q.doc, '{integration}', (q.doc->'integration') || jsonb_build_object(
    'connector', coalesce(
      (SELECT to_jsonb(id) FROM connectors WHERE id = q.doc->'integration'->>'connector'),
      (SELECT to_jsonb(id) FROM connectors WHERE name = q.doc->'integration'->>'connector'),
      q.doc->'integration'->'connector'),
    'onAssign', coalesce(
      (SELECT to_jsonb(id) FROM action_types WHERE id = q.doc->'integration'->>'onAssign'),
      (SELECT to_jsonb(id) FROM action_types WHERE name = q.doc->'integration'->>'onAssign'),
      q.doc->'integration'->'onAssign'),
    'onUpdate', coalesce(
      (SELECT to_jsonb(id) FROM action_types WHERE id = q.doc->'integration'->>'onUpdate'),
      (SELECT to_jsonb(id) FROM action_types WHERE name = q.doc->'integration'->>'onUpdate'),
      q.doc->'integration'->'onUpdate'),
    'onClose', coalesce(
      (SELECT to_jsonb(id) FROM action_types WHERE id = q.doc->'integration'->>'onClose'),
      (SELECT to_jsonb(id) FROM action_types WHERE name = q.doc->'integration'->>'onClose'),
      q.doc->'integration'->'onClose'),
    'onResolutionRejected', coalesce(
      (SELECT to_jsonb(id) FROM action_types WHERE id = q.doc->'integration'->>'onResolutionRejected'),
      (SELECT to_jsonb(id) FROM action_types WHERE name = q.doc->'integration'->>'onResolutionRejected'),
      q.doc->'integration'->'onResolutionRejected'))),
  revision = q.revision + 1
WHERE jsonb_typeof(q.doc->'integration') = 'object';
