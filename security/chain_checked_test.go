package security_test

import (
	"fmt"
	"testing"

	"github.com/buildworksai/trustgate/security"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"
)

// verifyEach adds l's events one by one with Add.
func verifyEach(t *testing.T, l log) (security.Head, []tlog.Hash, error) {
	t.Helper()
	v, err := security.NewChainVerifier(security.VerifyOptions{})
	require.NoError(t, err)
	var last []tlog.Hash
	for i := range l {
		hashes, err := v.Add(&l[i])
		if err != nil {
			return v.Head(), nil, err
		}
		last = append(last[:0], hashes...)
	}
	return v.Head(), last, nil
}

// verifyChecked checks every event of l first, as a store checking a page
// at once does, and then adds them in order with AddChecked.
func verifyChecked(t *testing.T, l log) (security.Head, []tlog.Hash, error) {
	t.Helper()
	v, err := security.NewChainVerifier(security.VerifyOptions{})
	require.NoError(t, err)
	checked := make([]security.CheckedEvent, len(l))
	var buf []byte
	for i := range l {
		checked[i], buf = security.CheckEvent(&l[i], buf)
	}
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

// Checking events ahead of adding them finds exactly what adding them one
// by one finds: the same head, the same tree hashes, and the same first
// failure, for every kind of tampering at every position.
func TestCheckingAheadFindsWhatAddFinds(t *testing.T) {
	const n = 12
	tampers := map[string]func(l log, i int) log{
		"edited actor":  func(l log, i int) log { l[i].Actor = "mallory"; return l },
		"edited hash":   func(l log, i int) log { l[i].Hash[0] ^= 1; return l },
		"edited prev":   func(l log, i int) log { l[i].PrevHash[31] ^= 1; return l },
		"edited seq":    func(l log, i int) log { l[i].Seq += 2; return l },
		"bad data":      func(l log, i int) log { l[i].Data = []byte(`{"i":`); return l },
		"deleted event": func(l log, i int) log { return append(l[:i:i], l[i+1:]...) },
		"swapped with the next": func(l log, i int) log {
			j := (i + 1) % len(l)
			l[i], l[j] = l[j], l[i]
			return l
		},
		"recomputed hash": func(l log, i int) log {
			l[i].Actor = "mallory"
			l[i].Hash, _ = l[i].ComputeHash()
			return l
		},
	}
	intact := build(t, n)
	head, hashes, err := verifyChecked(t, intact)
	require.NoError(t, err)
	wantHead, wantHashes, err := verifyEach(t, intact)
	require.NoError(t, err)
	assert.Equal(t, wantHead, head)
	assert.Equal(t, wantHashes, hashes)
	for name, tamper := range tampers {
		for i := range n {
			t.Run(fmt.Sprintf("%s/%d", name, i), func(t *testing.T) {
				a := tamper(append(log{}, build(t, n)...), i)
				b := append(log{}, a...)
				headA, _, errA := verifyEach(t, a)
				headB, _, errB := verifyChecked(t, b)
				if errA == nil { // the last event deleted or rewritten: a checkpoint's to find
					require.Equal(t, n-1, i, "only the tail's tampering is invisible to the chain")
					require.NoError(t, errB)
				} else {
					require.Error(t, errB)
					assert.Equal(t, errA.Error(), errB.Error())
				}
				assert.Equal(t, headA, headB)
			})
		}
	}
}

func TestAddCheckedRefusesNoEvent(t *testing.T) {
	v, err := security.NewChainVerifier(security.VerifyOptions{})
	require.NoError(t, err)
	_, err = v.AddChecked(security.CheckedEvent{})
	require.Error(t, err)
	assert.Equal(t, security.Head{}, v.Head(), "nothing was added")
}
