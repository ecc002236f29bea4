-- Integer ids for the JSON API: clients written for the original system
-- address patients, encounters, vitals and other records by small integers
-- (pid, encounter number, vid, …). Each (kind, resource id) gets one number,
-- allocated once and never reused, counting from 1 within the kind.
CREATE TABLE api_ids (
    kind TEXT    NOT NULL,
    num  INTEGER NOT NULL,
    uuid TEXT    NOT NULL,
    PRIMARY KEY (kind, num)
);
CREATE UNIQUE INDEX api_ids_uuid ON api_ids (kind, uuid);
