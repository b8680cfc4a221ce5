-- Outgoing webhooks: messages of a public channel (one, or any with a trigger word) sent
-- to callback URLs. The token receivers check is derived from the server secret and the
-- hook's id and generation, so nothing secret is stored; a new token is a new generation.
CREATE TABLE outgoing_webhooks (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    channel_id BIGINT REFERENCES channels (id) ON DELETE CASCADE,
    created_by BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    trigger_words TEXT NOT NULL,
    trigger_when TEXT NOT NULL,
    callback_urls TEXT NOT NULL,
    content_type TEXT NOT NULL,
    token_generation INTEGER NOT NULL DEFAULT 1,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX outgoing_webhooks_workspace ON outgoing_webhooks (workspace_id, id);
