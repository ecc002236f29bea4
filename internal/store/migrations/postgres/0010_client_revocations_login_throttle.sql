-- Per client, the moment up to which its access tokens are refused: a
-- token whose iat (whole seconds) is at or before revoked_before is dead.
-- Disabling or deleting a client sets it to the largest value (every token,
-- whatever its iat); enabling it again sets it to the time of enabling, so
-- the tokens from before stay dead and new ones work. The gate reads it by
-- primary key inside its revocation check; every change bumps the
-- revocation epoch. Times are Unix microseconds UTC.
CREATE TABLE auth_client_revocations (
    client_id      TEXT   PRIMARY KEY,
    revoked_before BIGINT NOT NULL
);

-- Failed authentications per key (an account, a client id, an address),
-- shared by every node: failures counts those since the last reset (a
-- success, an administrator, or a quiet period), last_at is the newest, and
-- until_at is when the next attempt may be checked (0: at once). The policy
-- that turns failures into delays is in internal/loginthrottle.
CREATE TABLE login_throttle (
    throttle_key TEXT    PRIMARY KEY,
    failures     INTEGER NOT NULL,
    last_at      BIGINT  NOT NULL,
    until_at     BIGINT  NOT NULL
);
CREATE INDEX login_throttle_last ON login_throttle (last_at);
