ALTER TABLE files DROP COLUMN thumbnail_key;
