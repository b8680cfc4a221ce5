-- Custom slash commands: a name a workspace's members type, and the URL hearth sends
-- it to with Slack's form fields, signed. The signing secret and the legacy token are
-- derived from the server secret and the command's id and generation; nothing secret is
-- stored.
CREATE TABLE commands (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    method TEXT NOT NULL,
    description TEXT NOT NULL,
    usage_hint TEXT NOT NULL,
    autocomplete BOOLEAN NOT NULL,
    secret_generation INTEGER NOT NULL DEFAULT 1,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (workspace_id, name)
);
-- A command's response_url: five delayed replies within 30 minutes, for the person who ran
-- it, where they ran it. Only the token's SHA-256 is kept. `last_message_id` is the latest
-- message posted through it, for replace_original and delete_original.
CREATE TABLE command_responses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    command_id BIGINT NOT NULL REFERENCES commands (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    thread_root_id BIGINT,
    uses INTEGER NOT NULL DEFAULT 0,
    last_message_id BIGINT,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX command_responses_expiry ON command_responses (expires_at);
