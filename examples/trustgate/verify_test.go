package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVerifyPassesOnAnUntouchedDatabase(t *testing.T) {
	fx := newSQLiteFixture(t)
	t.Run("against the published checkpoint", func(t *testing.T) {
		r := tg(t, fx.with("verify", "-keyring", fx.keyring, "-service-pub", fx.servicePub, "-checkpoint", fx.checkpoint, "-verifier", fx.verifier)...)
		require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
		assert.Contains(t, r.stdout, "checkpoint: "+fx.checkpoint+" (origin "+testOrigin)
		assert.Contains(t, r.stdout, "every governance record verified")
		assert.Contains(t, r.stdout, "OK")
		assert.Empty(t, r.stderr)
	})
	t.Run("against the latest saved in the database, with -json", func(t *testing.T) {
		r := tg(t, fx.with("verify", "-keyring", fx.keyring, "-service-pub", fx.servicePub, "-json")...)
		require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
		var doc map[string]any
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc), r.stdout)
		assert.Equal(t, true, doc["ok"])
		assert.Equal(t, "database", doc["checkpoint"].(map[string]any)["source"])
		assert.Contains(t, doc["verified_with"], "the service key as the log "+testOrigin+"+")
		assert.Contains(t, doc["warning"], "the database's own")
		assert.Equal(t, true, doc["records_verified"])
		assert.Positive(t, doc["events"])
	})
}

func TestVerifyNamesTheRecordAnAttackerEdited(t *testing.T) {
	for _, tc := range []struct {
		name   string
		attack string // SQL, with the fixture's first request's id as its argument
		failed string
		record string // prefix of the record named
	}{
		{"a request's status set to rejected", `UPDATE cab_requests SET status = 'rejected' WHERE id = ?`, "records", "cab_requests/"},
		{"an audit event's actor changed", `UPDATE audit_events SET actor = 'mallory' WHERE seq = 3 AND ? <> ''`, "log", "audit_events/3"},
		{"a request's signature replaced by another's bytes", `UPDATE cab_requests SET attestation = json_set(attestation, '$.signatures[0].sig', 'c2lnbmVkIGJ5IG1hbGxvcnkgYW5kIG5vdCB0aGUgc2VydmljZSBrZXkgYXQgYWxsIDY0IGJ5dGVzIGxvbmcgeA==') WHERE id = ?`, "records", "cab_requests/"},
		{"a request's envelope corrupted", `UPDATE cab_requests SET attestation = json_set(attestation, '$.payload', 'not base64 at all!') WHERE id = ?`, "records", "cab_requests/"},
		{"the evidence's data edited", `UPDATE evidence_packages SET data = CAST(replace(CAST(data AS TEXT), 'Notepad', 'Notepod') AS BLOB) WHERE id = (SELECT evidence_id FROM cab_requests WHERE id = ?)`, "records", "evidence_packages/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newSQLiteFixture(t)
			res, err := fx.raw(t).ExecContext(t.Context(), tc.attack, fx.requests[0].ID.String())
			require.NoError(t, err)
			n, err := res.RowsAffected()
			require.NoError(t, err)
			require.EqualValues(t, 1, n, "the attack changed no row")

			r := tg(t, fx.with("verify", "-keyring", fx.keyring, "-service-pub", fx.servicePub, "-checkpoint", fx.checkpoint, "-verifier", fx.verifier)...)
			require.Equal(t, exitFailed, r.code, "%s%s", r.stdout, r.stderr)
			assert.Contains(t, r.stdout, "FAILED "+tc.failed+": "+tc.record)

			r = tg(t, fx.with("verify", "-keyring", fx.keyring, "-service-pub", fx.servicePub, "-checkpoint", fx.checkpoint, "-verifier", fx.verifier, "-json")...)
			require.Equal(t, exitFailed, r.code, "%s%s", r.stdout, r.stderr)
			var doc struct {
				OK     bool   `json:"ok"`
				Failed string `json:"failed"`
				Record string `json:"record"`
				Error  string `json:"error"`
			}
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc), r.stdout)
			assert.False(t, doc.OK)
			assert.Equal(t, tc.failed, doc.Failed)
			assert.True(t, strings.HasPrefix(doc.Record, tc.record), "record %q", doc.Record)
			assert.NotEmpty(t, doc.Error)
		})
	}
}

func TestVerifyFindsTheLogCutShortOfThePublishedCheckpoint(t *testing.T) {
	fx := newSQLiteFixture(t)
	db := fx.raw(t)
	// The attacker deletes the last events, their tree rows, and the
	// checkpoints the database kept: only the published one remembers.
	for _, q := range []string{`DELETE FROM audit_events WHERE seq > 5`, `DELETE FROM audit_tree WHERE seq > 5`, `DELETE FROM audit_notes`} {
		_, err := db.ExecContext(t.Context(), q)
		require.NoError(t, err, q)
	}
	r := tg(t, fx.with("verify", "-keyring", fx.keyring, "-service-pub", fx.servicePub, "-checkpoint", fx.checkpoint, "-verifier", fx.verifier)...)
	assert.Equal(t, exitFailed, r.code, "%s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "FAILED log")
}

func TestVerifyRefusesACheckpointOfAnotherLog(t *testing.T) {
	fx, other := newSQLiteFixture(t), newSQLiteFixture(t)
	// Another log's checkpoint, opened with its own key: it verifies as a
	// note, and is not this log's tree.
	r := tg(t, fx.with("verify", "-keyring", fx.keyring, "-service-pub", fx.servicePub, "-checkpoint", other.checkpoint, "-verifier", other.verifier, "-json")...)
	assert.Equal(t, exitFailed, r.code, "%s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, `"failed": "log"`)
	// Opened with this log's key, its signature is not the log's.
	r = tg(t, fx.with("verify", "-keyring", fx.keyring, "-service-pub", fx.servicePub, "-checkpoint", other.checkpoint, "-verifier", fx.verifier)...)
	assert.Equal(t, exitFailed, r.code, "%s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "the checkpoint does not verify")
}

func TestVerifyRecordsSignedByAnotherServiceKeyFail(t *testing.T) {
	fx, other := newSQLiteFixture(t), newSQLiteFixture(t)
	r := tg(t, fx.with("verify", "-keyring", other.keyring, "-service-pub", other.servicePub, "-checkpoint", fx.checkpoint, "-verifier", fx.verifier)...)
	assert.Equal(t, exitFailed, r.code, "%s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "FAILED records")
}

func TestVerifyRefusesAFileThatIsNotACheckpoint(t *testing.T) {
	fx := newSQLiteFixture(t)
	for name, file := range map[string]string{"the keyring": fx.keyring, "a missing file": fx.checkpoint + ".none"} {
		t.Run(name, func(t *testing.T) {
			r := tg(t, fx.with("verify", "-keyring", fx.keyring, "-service-pub", fx.servicePub, "-checkpoint", file, "-verifier", fx.verifier)...)
			assert.Equal(t, exitRun, r.code, "%s%s", r.stdout, r.stderr)
			assert.Contains(t, r.stderr, "-checkpoint")
			assert.Empty(t, r.stdout)
		})
	}
	for name, args := range map[string][]string{
		"no keyring":                {"-service-pub", fx.servicePub},
		"no service key":            {"-keyring", fx.keyring},
		"a checkpoint, no verifier": {"-keyring", fx.keyring, "-service-pub", fx.servicePub, "-checkpoint", fx.checkpoint},
	} {
		t.Run(name, func(t *testing.T) {
			r := tg(t, fx.with("verify", args...)...)
			assert.Equal(t, exitUsage, r.code, "%s%s", r.stdout, r.stderr)
		})
	}
	r := tg(t, fx.with("verify", "-keyring", fx.servicePub, "-service-pub", fx.servicePub)...)
	assert.Equal(t, exitRun, r.code, "a keyring that is not one")
	assert.Contains(t, r.stderr, "-keyring")
}
