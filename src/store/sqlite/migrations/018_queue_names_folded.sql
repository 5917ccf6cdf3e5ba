-- Queue names are unique ignoring case ("hr" and "HR" were two queues people could not tell apart).
-- A store that already holds such lookalikes still opens: each group keeps its oldest queue under the
-- rule and the later ones are marked `name_lookalike`, left out of the index (they keep working and
-- can be deleted); a new queue that folds to any of them is still refused, by the oldest's entry.
ALTER TABLE queues ADD COLUMN name_lookalike INTEGER NOT NULL DEFAULT 0;
UPDATE queues SET name_lookalike = 1
 WHERE EXISTS (SELECT 1 FROM queues o WHERE lower(o.name) = lower(queues.name)
                  AND (o.created_at < queues.created_at OR (o.created_at = queues.created_at AND o.name < queues.name)));
CREATE UNIQUE INDEX queues_name_folded ON queues (lower(name)) WHERE name_lookalike = 0;
