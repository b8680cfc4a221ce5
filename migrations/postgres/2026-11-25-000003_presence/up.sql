CREATE TABLE presence (
    user_id BIGINT NOT NULL,
    node BIGINT NOT NULL,
    status TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, node)
);
CREATE INDEX presence_updated_at ON presence (updated_at);
