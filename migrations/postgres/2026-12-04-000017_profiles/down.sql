ALTER TABLE users DROP COLUMN avatar_key;
ALTER TABLE users DROP COLUMN status_expires_at;
ALTER TABLE users DROP COLUMN status_text;
ALTER TABLE users DROP COLUMN status_emoji;
ALTER TABLE users DROP COLUMN title;
