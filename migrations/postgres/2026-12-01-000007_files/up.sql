-- Files shared in channels. The bytes live in object storage under a key hearth makes
-- (ws/<workspace>/<uuid>), never one derived from what the uploader sent; the name is kept
-- only to be shown. A file belongs to the message that shares it: when that message is
-- deleted the file is no longer served, and its object is removed later by a job.
CREATE TABLE files (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    message_id BIGINT REFERENCES messages (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL UNIQUE,
    width INTEGER,
    height INTEGER,
    created_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX files_message_id ON files (message_id);
CREATE INDEX files_channel_id ON files (channel_id, id);
