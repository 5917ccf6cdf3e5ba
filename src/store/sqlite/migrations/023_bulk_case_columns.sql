-- A bulk launch of a process may name the columns whose cells become each case's title and owner
-- (titleColumn, ownerColumn); null: none, every column is case data.
ALTER TABLE bulk_launches ADD COLUMN title_column TEXT;
ALTER TABLE bulk_launches ADD COLUMN owner_column TEXT;
