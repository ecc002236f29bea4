-- Browser sessions kept on the server: the admin and portal pages, the
-- authorization server's sign-in, and the portal's hand-off to it. The
-- cookie carries a random id; only its hash is kept here. Signing out
-- deletes the row (and the rows whose parent it is), so the cookie is
-- refused at once on every node.
CREATE TABLE sessions (
    hash            TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    user_kind       TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    parent          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    seen_at         BIGINT NOT NULL,
    idle_expires_at BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_kind, user_id);
CREATE INDEX sessions_parent ON sessions (parent);

-- A grant made under online_access names the sign-in session it lives on
-- (its hash); empty for every other grant.
ALTER TABLE auth_grants ADD COLUMN session TEXT NOT NULL DEFAULT '';
