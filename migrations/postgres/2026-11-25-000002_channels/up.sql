CREATE TABLE channels (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    name TEXT,
    topic TEXT NOT NULL DEFAULT '',
    purpose TEXT NOT NULL DEFAULT '',
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    dm_key TEXT UNIQUE,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    archived_at TIMESTAMP,
    UNIQUE (workspace_id, name)
);

CREATE TABLE channel_members (
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at TIMESTAMP NOT NULL,
    last_read_message_id BIGINT NOT NULL DEFAULT 0,
    notify_level TEXT NOT NULL DEFAULT 'all',
    muted BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (channel_id, user_id)
);
CREATE INDEX channel_members_user_id ON channel_members (user_id);

CREATE TABLE messages (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    text TEXT NOT NULL,
    html TEXT NOT NULL,
    thread_root_id BIGINT REFERENCES messages (id),
    in_channel BOOLEAN NOT NULL,
    reply_count BIGINT NOT NULL DEFAULT 0,
    last_reply_at TIMESTAMP,
    client_msg_id TEXT,
    created_at TIMESTAMP NOT NULL,
    edited_at TIMESTAMP,
    deleted_at TIMESTAMP,
    pinned_at TIMESTAMP,
    pinned_by BIGINT REFERENCES users (id),
    UNIQUE (user_id, client_msg_id)
);
CREATE INDEX messages_channel_id ON messages (channel_id, in_channel, id);
CREATE INDEX messages_thread_root_id ON messages (thread_root_id, id);
CREATE INDEX messages_pinned ON messages (channel_id, pinned_at);

CREATE TABLE reactions (
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (message_id, user_id, emoji)
);

CREATE TABLE mentions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    channel_id BIGINT NOT NULL,
    user_id BIGINT
);
CREATE INDEX mentions_lookup ON mentions (channel_id, user_id, message_id);
CREATE INDEX mentions_message_id ON mentions (message_id);
