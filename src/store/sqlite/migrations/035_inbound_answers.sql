-- What a signed inbound request was answered (its status, and the action the answer was about), kept
-- with its message id: a sender's retry with the same id after a lost answer gets that answer again,
-- not the 401 of a forgery, and nothing is applied twice. NULL: not answered yet, or before this.
ALTER TABLE inbound_ids ADD COLUMN answer_status INTEGER;
ALTER TABLE inbound_ids ADD COLUMN action_id TEXT;
