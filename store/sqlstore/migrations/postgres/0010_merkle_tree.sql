-- The audit log's Merkle tree and its checkpoints as signed notes
-- (PostgreSQL). audit_tree holds, for the event at seq, the stored hashes
-- its append computed (golang.org/x/mod/sumdb/tlog.StoredHashes), 32 bytes
-- each, concatenated. The store builds the rows of events logged before
-- this migration on its first write (Store.SyncTree), verifying the chain.
CREATE TABLE audit_tree (
    seq    bigint NOT NULL PRIMARY KEY CHECK (seq > 0),
    hashes bytea  NOT NULL CHECK (length(hashes) >= 32 AND length(hashes) % 32 = 0)
);

CREATE FUNCTION audit_tree_follow_head() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    last_seq bigint := 0;
BEGIN
    SELECT seq INTO last_seq FROM audit_tree ORDER BY seq DESC LIMIT 1;
    IF NOT FOUND THEN
        last_seq := 0;
    END IF;
    IF NEW.seq IS DISTINCT FROM last_seq + 1 THEN
        RAISE EXCEPTION 'audit_tree: a new row must follow the last'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_tree_follow_head BEFORE INSERT ON audit_tree
    FOR EACH ROW EXECUTE FUNCTION audit_tree_follow_head();
CREATE TRIGGER audit_tree_immutable BEFORE UPDATE OR DELETE ON audit_tree
    FOR EACH ROW EXECUTE FUNCTION trustgate_forbid('the tree is append-only');
CREATE TRIGGER audit_tree_no_truncate BEFORE TRUNCATE ON audit_tree
    FOR EACH STATEMENT EXECUTE FUNCTION trustgate_forbid('the tree is append-only');

-- A new event needs its tree row, written just before it.
CREATE FUNCTION audit_events_in_tree() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM audit_tree WHERE seq = NEW.seq) THEN
        RAISE EXCEPTION 'audit_events: a new event must have its Merkle tree row'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_events_in_tree BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_in_tree();

-- Checkpoints: c2sp.org/tlog-checkpoint signed notes, keyed by tree size
-- and the SHA-256 (hex) of the note's bytes.
CREATE TABLE audit_notes (
    size       bigint NOT NULL CHECK (size >= 0),
    digest     text   NOT NULL CHECK (length(digest) = 64),
    signatures bigint NOT NULL CHECK (signatures >= 0),
    note       text   NOT NULL,
    PRIMARY KEY (size, digest)
);

-- LatestCheckpoint reads the last entry of this index.
CREATE INDEX audit_notes_latest ON audit_notes (size, signatures, digest);

CREATE TRIGGER audit_notes_immutable BEFORE UPDATE OR DELETE ON audit_notes
    FOR EACH ROW EXECUTE FUNCTION trustgate_forbid('checkpoints are append-only');
CREATE TRIGGER audit_notes_no_truncate BEFORE TRUNCATE ON audit_notes
    FOR EACH STATEMENT EXECUTE FUNCTION trustgate_forbid('checkpoints are append-only');
