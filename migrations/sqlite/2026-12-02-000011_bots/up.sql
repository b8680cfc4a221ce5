-- Bot users: a user row marked `is_bot` (no password: it cannot sign in), a member of one
-- workspace, acting through a token stored as its SHA-256 (NULL once revoked). The secret
-- that signs its event deliveries is derived from the server secret and the bot's id and
-- generation, so nothing secret is stored; a new secret is a new generation.
ALTER TABLE users ADD COLUMN is_bot BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE bots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL UNIQUE REFERENCES users (id),
    created_by BIGINT NOT NULL REFERENCES users (id),
    description TEXT NOT NULL,
    icon_url TEXT,
    token_hash TEXT UNIQUE,
    secret_generation INTEGER NOT NULL DEFAULT 1,
    request_url TEXT,
    -- hearth's own bot of the workspace (it sends reminders): never managed, never a token.
    system BOOLEAN NOT NULL DEFAULT FALSE,
    last_used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX bots_workspace ON bots (workspace_id, id);
