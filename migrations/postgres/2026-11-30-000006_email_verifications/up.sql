-- Proof that someone receives mail at their address, asked of sign-ups through a
-- workspace's open email domain: single use, expiring, stored as the SHA-256 of the token
-- in the link. An account with verifications and none used is unverified.
CREATE TABLE email_verifications (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX email_verifications_user_id ON email_verifications (user_id);
