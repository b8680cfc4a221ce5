-- One-off reminders set with /remind: delivered by a job at `due_at` as a message from
-- hearth, to their creator, another member (both by direct message) or a channel.
CREATE TABLE reminders (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    created_by BIGINT NOT NULL REFERENCES users (id),
    for_user_id BIGINT REFERENCES users (id),
    channel_id BIGINT REFERENCES channels (id) ON DELETE CASCADE,
    what TEXT NOT NULL,
    due_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP,
    cancelled_at TIMESTAMP
);
CREATE INDEX reminders_creator ON reminders (created_by, due_at);
