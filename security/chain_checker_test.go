package security_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/buildworksai/trustgate/security"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"
)

// addAll adds checked, in order, to a fresh verifier.
func addAll(t *testing.T, checked []security.CheckedEvent) (security.Head, []tlog.Hash, error) {
	t.Helper()
	v, err := security.NewChainVerifier(security.VerifyOptions{})
	require.NoError(t, err)
	var last []tlog.Hash
	for i := range checked {
		hashes, err := v.AddChecked(checked[i])
		if err != nil {
			return v.Head(), nil, err
		}
		last = append(last[:0], hashes...)
	}
	return v.Head(), last, nil
}

// One EventChecker, reused over many logs and every kind of event (intact,
// edited, data not canonical, data that is no JSON, a duplicate name),
// finds exactly what CheckEvent finds with fresh scratch space each time:
// the same head, the same tree hashes, the same first failure. What it
// keeps from one event to the next changes nothing.
func TestEventCheckerFindsWhatCheckEventFinds(t *testing.T) {
	const n = 10
	tampers := map[string]func(l log, i int){
		"intact":                 func(log, int) {},
		"edited actor":           func(l log, i int) { l[i].Actor = "mallory" },
		"edited data":            func(l log, i int) { l[i].Data = json.RawMessage(fmt.Sprintf(`{"i":%d}`, i+1)) },
		"data with spaces":       func(l log, i int) { l[i].Data = json.RawMessage(fmt.Sprintf(`{ "i" : %d }`, i)) },
		"data out of order":      func(l log, i int) { l[i].Data = json.RawMessage(fmt.Sprintf(`{"j":1,"i":%d}`, i)) },
		"data with a duplicate":  func(l log, i int) { l[i].Data = json.RawMessage(`{"i":1,"i":2}`) },
		"data no JSON":           func(l log, i int) { l[i].Data = json.RawMessage(`{"i":`) },
		"data escaped":           func(l log, i int) { l[i].Data = json.RawMessage(fmt.Sprintf(`{"\u0069":%d}`, i)) },
		"actor not UTF-8":        func(l log, i int) { l[i].Actor = "al\xffice" },
		"edited hash":            func(l log, i int) { l[i].Hash[0] ^= 1 },
		"edited prev":            func(l log, i int) { l[i].PrevHash[31] ^= 1 },
		"no data":                func(l log, i int) { l[i].Data = nil },
		"large data":             func(l log, i int) { l[i].Data = json.RawMessage(fmt.Sprintf(`{"i":%d,"pad":"%0*d"}`, i, 3000, 0)) },
		"recomputed after edits": func(l log, i int) { l[i].Actor = "mallory"; l[i].Hash, _ = l[i].ComputeHash() },
	}
	var reused security.EventChecker
	for name, tamper := range tampers {
		for i := range n {
			t.Run(fmt.Sprintf("%s/%d", name, i), func(t *testing.T) {
				l := build(t, n)
				tamper(l, i)
				fresh := make([]security.CheckedEvent, len(l))
				again := make([]security.CheckedEvent, len(l))
				for k := range l {
					fresh[k], _ = security.CheckEvent(&l[k], nil)
					again[k] = reused.Check(&l[k])
				}
				headA, hashesA, errA := addAll(t, fresh)
				headB, hashesB, errB := addAll(t, again)
				assert.Equal(t, headA, headB)
				assert.Equal(t, hashesA, hashesB)
				if errA == nil {
					require.NoError(t, errB)
					return
				}
				require.Error(t, errB)
				assert.Equal(t, errA.Error(), errB.Error())
			})
		}
	}
}
