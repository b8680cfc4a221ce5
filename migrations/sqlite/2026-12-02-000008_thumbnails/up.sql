-- A shared picture's thumbnail, kept beside it in object storage under a key hearth makes.
ALTER TABLE files ADD COLUMN thumbnail_key TEXT;
