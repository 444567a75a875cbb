package main

import (
	"bytes"
	"fmt"

	"github.com/buildworksai/trustgate/security/auditlog"
)

// Checking proofs as a reader does: with the proof, the checkpoints and the
// log's verifier key, and nothing from the database.

// checkProofFile checks -proof offline.
func checkProofFile(e *env, f *proveFlags) error {
	text, err := readFile("proof", f.proof)
	if err != nil {
		return err
	}
	if f.consistency {
		res := proveResult{Kind: "consistency", Proof: string(text)}
		if err := checkConsistency(text, f.old, f.new, f.trust); err != nil {
			return proveFailed(e, f.db.json, res, err)
		}
		res.OK, res.Checked = true, true
		co, _, _ := auditlog.ParseNote(f.old)
		cn, _, _ := auditlog.ParseNote(f.new)
		res.Old, res.New = describeCheckpoint("file", f.oldP, co), describeCheckpoint("file", f.newP, cn)
		return report(e, f.db.json, res, fmt.Sprintf("checked: the checkpoint of %d events is a prefix of the checkpoint of %d events (origin %s)",
			co.Size, cn.Size, cn.Origin))
	}
	res := proveResult{Kind: "inclusion", Proof: string(text)}
	p, err := auditlog.ParseInclusionProof(text)
	if err != nil {
		return proveFailed(e, f.db.json, res, err)
	}
	v, leaf, err := auditlog.VerifyInclusion(p, f.trust)
	if err != nil {
		return proveFailed(e, f.db.json, res, err)
	}
	res.OK, res.Checked = true, true
	res.Checkpoint = describeCheckpoint("file", f.proof, v.Checkpoint)
	return report(e, f.db.json, res, fmt.Sprintf("checked: leaf %d of the checkpoint of %d events (origin %s), %d bytes of event: %s",
		p.Index, v.Size, v.Origin, len(leaf), bytes.TrimSpace(leaf)))
}

func checkInclusion(text []byte, trust auditlog.Trust) error {
	p, err := auditlog.ParseInclusionProof(text)
	if err != nil {
		return err
	}
	_, _, err = auditlog.VerifyInclusion(p, trust)
	return err
}

func checkConsistency(text, old, new []byte, trust auditlog.Trust) error {
	p, err := auditlog.ParseConsistencyProof(text)
	if err != nil {
		return err
	}
	_, _, err = auditlog.VerifyConsistency(p, old, new, trust)
	return err
}
