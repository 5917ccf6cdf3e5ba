-- When the case stopped at a failed step (onFailure stop) with nothing to move it on but a person
-- (processes/case-stop.ts); null while it goes on or waits, and once closed. Written with the case's
-- steps, so GET /v1/cases?stopped= reads a column, not every case's steps. The index holds only the
-- stopped cases: few, and listed newest first.
ALTER TABLE cases ADD COLUMN stopped_at INTEGER;
-- Cases already stopped: their last change is the best time known of the stop.
UPDATE cases SET stopped_at = updated_at
 WHERE status = 'open' AND steps IS NOT NULL AND definition IS NOT NULL
   AND EXISTS (SELECT 1 FROM json_each(cases.steps) s
                WHERE json_extract(s.value, '$.status') = 'failed'
                  AND coalesce(json_extract(cases.definition, '$.steps[' || s.key || '].onFailure'), 'stop') = 'stop');
CREATE INDEX cases_stopped ON cases (id) WHERE stopped_at IS NOT NULL;
