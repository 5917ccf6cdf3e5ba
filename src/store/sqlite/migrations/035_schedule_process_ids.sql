-- A schedule's case launch named its process as the request gave it (an id or a name), so renaming the
-- process had every tick refused ("no process ... exists"). It is kept by id now, as an action launch
-- keeps its action type; this resolves the names stored before. A name that names nothing any more
-- stays as it is (its ticks are refused as before). The version moves, as any change of a schedule's.
UPDATE schedules SET
  launch = json_set(launch, '$.process', (SELECT p.id FROM processes p WHERE p.name = json_extract(schedules.launch, '$.process'))),
  version = version + 1
WHERE json_type(launch, '$.process') = 'text'
  AND EXISTS (SELECT 1 FROM processes p WHERE p.name = json_extract(schedules.launch, '$.process'))
  AND NOT EXISTS (SELECT 1 FROM processes i WHERE i.id = json_extract(schedules.launch, '$.process'));
