-- Uploads through Slack's files.getUploadURLExternal: the URL's token (as its SHA-256),
-- who may send to it, and once the bytes are in storage, what was stored, until
-- files.completeUploadExternal shares it (or it expires and its objects are removed).
CREATE TABLE slack_uploads (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    length BIGINT NOT NULL,
    stored TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX slack_uploads_expiry ON slack_uploads (expires_at);
