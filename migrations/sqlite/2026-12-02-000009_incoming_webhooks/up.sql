-- Incoming webhooks: a URL with a secret that posts into one channel for the member who
-- made it. Only the secret's SHA-256 is kept; the URL is shown once.
CREATE TABLE incoming_webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    created_by BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    icon_url TEXT,
    token_hash TEXT NOT NULL UNIQUE,
    channel_locked BOOLEAN NOT NULL DEFAULT FALSE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    last_used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX incoming_webhooks_workspace ON incoming_webhooks (workspace_id, id);
-- What happened at an integration lately: refused requests of incoming webhooks, and
-- (with outgoing webhooks) every delivery. Pruned after a week.
CREATE TABLE integration_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    integration TEXT NOT NULL,
    integration_id BIGINT NOT NULL,
    at TIMESTAMP NOT NULL,
    ok BOOLEAN NOT NULL,
    status INTEGER,
    detail TEXT NOT NULL,
    latency_ms BIGINT
);
CREATE INDEX integration_log_of ON integration_log (integration, integration_id, id);
CREATE INDEX integration_log_at ON integration_log (at);
-- A message an integration posted: who it shows as (JSON), instead of its author.
ALTER TABLE messages ADD COLUMN bot TEXT;
-- Whether members (not only admins) may add integrations to the workspace.
ALTER TABLE workspaces ADD COLUMN members_add_integrations BOOLEAN NOT NULL DEFAULT FALSE;
