package jcs

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestMembersYieldsEachTopLevelMember(t *testing.T) {
	src, err := Canonicalize(nil, []byte(`{"b":[1,{"x":"}\"]"}],"a":"q\"uote","c":{"d":{}},"e":-1.5e-7,"f":true,"g":null}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = Members(src, func(name, value []byte) error {
		if !json.Valid(value) {
			t.Errorf("value of %s is not JSON: %s", name, value)
		}
		got = append(got, string(name)+"="+string(value))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`a="q\"uote"`, `b=[1,{"x":"}\"]"}]`, `c={"d":{}}`, `e=-1.5e-7`, `f=true`, `g=null`}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("member %d = %s, want %s", i, got[i], want[i])
		}
	}
}

func TestMembersStopsAtTheCallbacksError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := Members([]byte(`{"a":1,"b":2}`), func(_, _ []byte) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err %v after %d calls", err, n)
	}
}

func TestMembersRejectsWhatIsNotACanonicalObject(t *testing.T) {
	for _, s := range []string{``, `{`, `}`, `[]`, `{"a":1,}`, `{"a":1}x}`, `{"a"}`, `{"a":}`, `{"a":"unterminated}`, `{"a":[1,2}`, `{a:1}`, `{"a":1}}`} {
		err := Members([]byte(s), func(_, _ []byte) error { return nil })
		if !errors.Is(err, ErrInvalidJSON) {
			t.Errorf("Members(%q) = %v, want ErrInvalidJSON", s, err)
		}
	}
	if err := Members([]byte(`{}`), func(_, _ []byte) error { t.Fatal("no members"); return nil }); err != nil {
		t.Fatal(err)
	}
}

// FuzzMembers: on any input Members must not panic; on canonical objects it
// must yield values that are themselves valid JSON.
func FuzzMembers(f *testing.F) {
	f.Add([]byte(`{"a":[1,{"b":"}"}],"c":"\\\""}`))
	f.Add([]byte(`{"a":`))
	f.Add([]byte(`{"\u0000":1}`))
	f.Fuzz(func(t *testing.T, src []byte) {
		_ = Members(src, func(_, _ []byte) error { return nil })
		canon, err := CanonicalizeObject(nil, src)
		if err != nil {
			return
		}
		err = Members(canon, func(name, value []byte) error {
			if !json.Valid(value) {
				t.Fatalf("value of %q is not JSON: %q", name, value)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Members rejected canonical %q: %v", canon, err)
		}
	})
}

func TestElementsYieldsEachElement(t *testing.T) {
	var got []string
	err := Elements([]byte(`[1,"a,]",{"b":[2,3]},[],null]`), func(v []byte) error { got = append(got, string(v)); return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`1`, `"a,]"`, `{"b":[2,3]}`, `[]`, `null`}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("element %d = %s, want %s", i, got[i], want[i])
		}
	}
	for _, s := range []string{``, `[`, `[1,]`, `[1]]`, `{}`, `["x]`} {
		if err := Elements([]byte(s), func([]byte) error { return nil }); !errors.Is(err, ErrInvalidJSON) {
			t.Errorf("Elements(%q) = %v", s, err)
		}
	}
	if err := Elements([]byte(`[]`), func([]byte) error { t.Fatal("no elements"); return nil }); err != nil {
		t.Fatal(err)
	}
}

func FuzzElements(f *testing.F) {
	f.Add([]byte(`[1,"]",{"a":[]}]`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, src []byte) {
		_ = Elements(src, func([]byte) error { return nil })
		canon, err := Canonicalize(nil, src)
		if err != nil || len(canon) == 0 || canon[0] != '[' {
			return
		}
		if err := Elements(canon, func(v []byte) error {
			if !json.Valid(v) {
				t.Fatalf("element %q is not JSON", v)
			}
			return nil
		}); err != nil {
			t.Fatalf("Elements rejected canonical %q: %v", canon, err)
		}
	})
}
