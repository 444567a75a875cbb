package jcs_test

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/buildworksai/trustgate/internal/jcs"
)

func ExampleCanonicalize() {
	out, err := jcs.Canonicalize(nil, []byte(`{ "b": [1.50, -0, 1E30], "a": "\u0041\u20ac" }`))
	if err != nil {
		panic(err)
	}
	fmt.Println(string(out))
	// Output: {"a":"A€","b":[1.5,0,1e+30]}
}

func ExampleCanonicalizeObject() {
	doc := []byte(`{"subject": "build-42", "passed": true}`)
	canonical, err := jcs.CanonicalizeObject(nil, doc)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s\n%x\n", canonical, sha256.Sum256(canonical))

	_, err = jcs.CanonicalizeObject(nil, []byte(`["not", "an", "object"]`))
	fmt.Println(errors.Is(err, jcs.ErrNotObject))
	// Output:
	// {"passed":true,"subject":"build-42"}
	// b010c2cc6fba4fde9649b25c9f62df2bb770242567ce27162eeb7cb9cd5d08f9
	// true
}

func ExampleSyntaxError() {
	_, err := jcs.Canonicalize(nil, []byte(`{"a": 1, "\u0061": 2}`))
	var se *jcs.SyntaxError
	if errors.As(err, &se) {
		fmt.Println(se.Offset, se.Reason, errors.Is(err, jcs.ErrDuplicateKey))
	}
	// Output: 9 duplicate member name "a" true
}

// names is a Visitor that collects the top-level member names of a
// document and the canonical form of its "size" member, in one pass.
type names struct {
	names []string
	size  string
}

func (n *names) Member(_ int, name []byte) int {
	n.names = append(n.names, string(name))
	if string(name) == "size" {
		return 2 // visit the value
	}
	return 0 // skip it, and everything in it
}

func (n *names) Element(int, int) int { return 0 }

func (n *names) Value(state int, canonical []byte) {
	if state == 2 {
		n.size = string(canonical)
	}
}

func ExampleCanonicalizeObjectVisit() {
	v := &names{}
	out, err := jcs.CanonicalizeObjectVisit(nil, []byte(`{"size": 1.0E3, "name": "a", "deep": {"size": 7}}`), v, 1)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(out))
	fmt.Println(v.names, v.size)
	// Output:
	// {"deep":{"size":7},"name":"a","size":1000}
	// [size name deep] 1000
}
