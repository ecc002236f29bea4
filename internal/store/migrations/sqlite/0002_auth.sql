-- The authorization server's records, shared by every node. Times are Unix
-- microseconds UTC; NULL stands for "not yet" (used_at, rotated_at,
-- revoked_at) or "unset". Secrets, codes and tokens are kept only as the
-- base64url SHA-256 hashes the authorization server hands over. Lists inside
-- a row (redirect URIs, grant types, fhirContext) are JSON arrays.

-- Registered clients, in registration order (seq).
CREATE TABLE auth_clients (
    seq                       INTEGER PRIMARY KEY AUTOINCREMENT,
    id                        TEXT NOT NULL UNIQUE,
    name                      TEXT NOT NULL,
    auth_method               TEXT NOT NULL,
    secret_hash               TEXT NOT NULL,
    redirect_uris             TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    launch_uri                TEXT NOT NULL,
    grant_types               TEXT NOT NULL,
    scope                     TEXT NOT NULL,
    jwks_uri                  TEXT NOT NULL,
    jwks                      TEXT NOT NULL,
    contacts                  TEXT NOT NULL,
    logo_uri                  TEXT NOT NULL,
    status                    TEXT NOT NULL,
    created_at                INTEGER
);

-- The origins of each client's redirect URIs: CORS asks whether an origin
-- belongs to an approved client on every cross-origin token call.
CREATE TABLE auth_client_origins (
    origin    TEXT NOT NULL,
    client_id TEXT NOT NULL,
    PRIMARY KEY (origin, client_id)
) WITHOUT ROWID;
CREATE INDEX auth_client_origins_client ON auth_client_origins (client_id);

CREATE TABLE auth_users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    practitioner  TEXT NOT NULL,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL,
    disabled      INTEGER NOT NULL,
    created_at    INTEGER
);

CREATE TABLE auth_patient_users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    patient       TEXT NOT NULL,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL,
    disabled      INTEGER NOT NULL,
    created_at    INTEGER
);

-- Authorizations in progress in a browser, each one JSON document read back
-- only by id.
CREATE TABLE auth_interactions (
    id         TEXT PRIMARY KEY,
    doc        TEXT NOT NULL,
    expires_at INTEGER
);
CREATE INDEX auth_interactions_expires ON auth_interactions (expires_at);

-- EHR launch contexts, by the hash of the launch value.
CREATE TABLE auth_launches (
    hash         TEXT PRIMARY KEY,
    client_id    TEXT NOT NULL,
    patient      TEXT NOT NULL,
    encounter    TEXT NOT NULL,
    intent       TEXT NOT NULL,
    fhir_context TEXT NOT NULL,
    created_at   INTEGER,
    expires_at   INTEGER
);
CREATE INDEX auth_launches_expires ON auth_launches (expires_at);
CREATE INDEX auth_launches_client ON auth_launches (client_id);

-- Authorization codes. A used code keeps its row (used_at set) so that a
-- replay is recognised and what the first exchange issued is revoked.
CREATE TABLE auth_codes (
    hash           TEXT PRIMARY KEY,
    grant_id       TEXT NOT NULL,
    client_id      TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    nonce          TEXT NOT NULL,
    created_at     INTEGER,
    expires_at     INTEGER,
    used_at        INTEGER
);
CREATE INDEX auth_codes_expires ON auth_codes (expires_at);
CREATE INDEX auth_codes_client ON auth_codes (client_id);

-- The jti of every client assertion until it expires, per client.
CREATE TABLE auth_assertion_ids (
    client_id  TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (client_id, jti)
) WITHOUT ROWID;
CREATE INDEX auth_assertion_ids_expires ON auth_assertion_ids (expires_at);

-- What users authorized clients to do.
CREATE TABLE auth_grants (
    id                  TEXT PRIMARY KEY,
    client_id           TEXT NOT NULL,
    grant_type          TEXT NOT NULL,
    subject             TEXT NOT NULL,
    role                TEXT NOT NULL,
    fhir_user           TEXT NOT NULL,
    scope               TEXT NOT NULL,
    patient             TEXT NOT NULL,
    encounter           TEXT NOT NULL,
    intent              TEXT NOT NULL,
    fhir_context        TEXT NOT NULL,
    need_patient_banner INTEGER NOT NULL,
    auth_time           INTEGER,
    created_at          INTEGER,
    revoked_at          INTEGER
);
CREATE INDEX auth_grants_subject ON auth_grants (subject, created_at);
CREATE INDEX auth_grants_client ON auth_grants (client_id);

-- Refresh tokens. Rotation marks the old one (rotated_at) and adds the next;
-- a rotated token is kept until it expires so that its reuse is recognised.
CREATE TABLE auth_refresh_tokens (
    hash       TEXT PRIMARY KEY,
    grant_id   TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    created_at INTEGER,
    expires_at INTEGER,
    rotated_at INTEGER
);
CREATE INDEX auth_refresh_tokens_grant ON auth_refresh_tokens (grant_id, created_at);
CREATE INDEX auth_refresh_tokens_client ON auth_refresh_tokens (client_id);
CREATE INDEX auth_refresh_tokens_expires ON auth_refresh_tokens (expires_at);

-- Access tokens revoked one by one, by jti, until they expire. The gate
-- looks here on every request.
CREATE TABLE auth_revoked_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at INTEGER
) WITHOUT ROWID;
CREATE INDEX auth_revoked_tokens_expires ON auth_revoked_tokens (expires_at);

-- Site settings.
CREATE TABLE auth_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
