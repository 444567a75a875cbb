-- The audit log's Merkle tree and its checkpoints as signed notes (SQLite).
-- audit_tree holds, for the event at seq, the stored hashes its append
-- computed (golang.org/x/mod/sumdb/tlog.StoredHashes), 32 bytes each,
-- concatenated. The store builds the rows of events logged before this
-- migration on its first write (Store.SyncTree), verifying the chain.
CREATE TABLE audit_tree (
    seq    INTEGER NOT NULL PRIMARY KEY CHECK (seq > 0),
    hashes BLOB    NOT NULL CHECK (length(hashes) >= 32 AND length(hashes) % 32 = 0)
) STRICT;

CREATE TRIGGER audit_tree_no_update BEFORE UPDATE ON audit_tree
BEGIN
    SELECT RAISE(ABORT, 'audit_tree: the tree is append-only');
END;

CREATE TRIGGER audit_tree_no_delete BEFORE DELETE ON audit_tree
BEGIN
    SELECT RAISE(ABORT, 'audit_tree: the tree is append-only');
END;

CREATE TRIGGER audit_tree_follow_head BEFORE INSERT ON audit_tree
WHEN NEW.seq IS NOT coalesce((SELECT seq FROM audit_tree ORDER BY seq DESC LIMIT 1), 0) + 1
BEGIN
    SELECT RAISE(ABORT, 'audit_tree: a new row must follow the last');
END;

-- A new event needs its tree row, written just before it.
CREATE TRIGGER audit_events_in_tree BEFORE INSERT ON audit_events
WHEN NOT EXISTS (SELECT 1 FROM audit_tree WHERE seq = NEW.seq)
BEGIN
    SELECT RAISE(ABORT, 'audit_events: a new event must have its Merkle tree row');
END;

-- Checkpoints: c2sp.org/tlog-checkpoint signed notes, keyed by tree size
-- and the SHA-256 (hex) of the note's bytes.
CREATE TABLE audit_notes (
    size       INTEGER NOT NULL CHECK (size >= 0),
    digest     TEXT    NOT NULL CHECK (length(digest) = 64),
    signatures INTEGER NOT NULL CHECK (signatures >= 0),
    note       TEXT    NOT NULL,
    PRIMARY KEY (size, digest)
) STRICT;

-- LatestCheckpoint reads the last entry of this index.
CREATE INDEX audit_notes_latest ON audit_notes (size, signatures, digest);

CREATE TRIGGER audit_notes_no_update BEFORE UPDATE ON audit_notes
BEGIN
    SELECT RAISE(ABORT, 'audit_notes: checkpoints are append-only');
END;

CREATE TRIGGER audit_notes_no_delete BEFORE DELETE ON audit_notes
BEGIN
    SELECT RAISE(ABORT, 'audit_notes: checkpoints are append-only');
END;

-- REPLACE deletes the row it conflicts with, firing no delete trigger
-- (see 0006): a conflicting insert is ignored.
CREATE TRIGGER audit_notes_no_replace BEFORE INSERT ON audit_notes
WHEN EXISTS (SELECT 1 FROM audit_notes WHERE size = NEW.size AND digest = NEW.digest)
BEGIN
    SELECT RAISE(IGNORE);
END;
