-- A schedule's case launch named its process as the request gave it (an id or a name), so renaming the
-- process had every tick refused ("no process ... exists"). It is kept by id now, as an action launch
-- keeps its action type; this resolves the names stored before. A name that names nothing any more
-- stays as it is (its ticks are refused as before). The version moves, as any change of a schedule's.
UPDATE schedules s SET
  launch = jsonb_set(s.launch, '{process}', to_jsonb(p.id)),
  version = s.version + 1
  FROM processes p
 WHERE jsonb_typeof(s.launch->'process') = 'string'
   AND p.name = s.launch->>'process'
   AND NOT EXISTS (SELECT 1 FROM processes i WHERE i.id = s.launch->>'process');
