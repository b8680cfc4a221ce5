-- How each person wants to be mailed about what they missed; a person without a row has
-- the defaults (immediately, digests at 9:00 UTC).
CREATE TABLE notification_preferences (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    email_notifications TEXT NOT NULL,
    digest_hour INTEGER NOT NULL,
    time_zone TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- One row per person and message that may call for a mail (a mention, a DM, a reply in a
-- thread they are in), written by the notifications follower; a job decides at `due_at`
-- and records what became of it (`outcome`: mailed, read, active, muted, left, never,
-- deleted) when it is done.
CREATE TABLE notifications (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    thread_root_id BIGINT,
    reason TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    due_at TIMESTAMP NOT NULL,
    done_at TIMESTAMP,
    outcome TEXT,
    UNIQUE (user_id, message_id)
);
CREATE INDEX notifications_open ON notifications (user_id, done_at);
