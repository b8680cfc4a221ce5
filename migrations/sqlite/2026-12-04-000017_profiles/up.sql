-- A person's profile beyond their name: a title, a custom status (an emoji and a few words,
-- until an expiry or until cleared) and a picture (the storage key of its 256-pixel square).
ALTER TABLE users ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN status_emoji TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN status_text TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN status_expires_at TIMESTAMP;
ALTER TABLE users ADD COLUMN avatar_key TEXT;
