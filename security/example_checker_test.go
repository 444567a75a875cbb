package security_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
)

// A verifier that reads the log a page at a time checks each page's events
// with one EventChecker a worker (here one), then adds them in order: the
// chain links, the order and the tree are the ChainVerifier's.
func ExampleEventChecker() {
	var page []security.Event
	var head security.Head
	for i := range 3 {
		e, _ := security.NewEvent(head, security.EventInput{Type: "deployment.recorded", Actor: "connector",
			Data: json.RawMessage(fmt.Sprintf(`{"ring":%d}`, i))}, uuid.New(), time.Date(2026, 2, 10, 9, i, 0, 0, time.UTC))
		page = append(page, e)
		head = security.Head{Size: e.Seq, Hash: e.Hash}
	}
	page[2].Data = json.RawMessage(`{"ring":7}`) // edited in the database

	var checker security.EventChecker // reused for every event: no allocation once warm
	checked := make([]security.CheckedEvent, len(page))
	for i := range page {
		checked[i] = checker.Check(&page[i])
	}
	v, _ := security.NewChainVerifier(security.VerifyOptions{})
	for _, c := range checked {
		if _, err := v.AddChecked(c); err != nil {
			var broken *security.ChainError
			fmt.Println(errors.As(err, &broken), broken.Seq, broken.Reason)
			break
		}
	}
	fmt.Println("verified up to", v.Head().Size)
	// Output:
	// true 3 content does not match its hash: the event was edited
	// verified up to 2
}
