package blastradius_test

import (
	"encoding/json"
	"errors"
	"flag"
	"strings"
	"testing"

	br "github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/internal/wire/wiretest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// jsonResults are what the default classifier says of realistic packages.
func jsonResults(t testing.TB) map[string]br.Result {
	c, err := br.NewClassifier(br.DefaultRules(), br.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]br.Result{}
	for name, in := range map[string]br.Input{
		"result_rule":    {AppName: "Windows Security Update", Publisher: "Microsoft Corporation"},
		"result_default": {AppName: "Team Wiki Theme", TargetUsers: 3, Criticality: br.CriticalityLow},
		"result_utility": {AppName: "Desktop Calculator utility", Privilege: br.PrivilegeUser, TargetUsers: 40},
	} {
		r, err := c.Classify(in)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = r
	}
	// A classifier whose default is NON_CRITICAL, so a floor has something
	// to raise.
	lenient, err := br.NewClassifier(br.DefaultRules(), br.Options{Default: br.NonCritical})
	if err != nil {
		t.Fatal(err)
	}
	r, err := lenient.Classify(br.Input{AppName: "Notepad++", Privilege: br.PrivilegeAdmin, TargetUsers: 12})
	if err != nil {
		t.Fatal(err)
	}
	out["result_floor"] = r
	return out
}

func TestResultJSONGolden(t *testing.T) {
	for name, want := range jsonResults(t) {
		t.Run(name, func(t *testing.T) {
			b := wiretest.Golden(t, *update, name, want)
			var back br.Result
			if err := json.Unmarshal(b, &back); err != nil || back != want {
				t.Errorf("decoded %+v, %v; want %+v", back, err, want)
			}
		})
	}
}

func TestResultJSONRejectsBadDocuments(t *testing.T) {
	for _, c := range []struct{ name, doc, field string }{
		{"null", `null`, ""},
		{"an unknown member", `{"class":"NON_CRITICAL","rule":"default","reason":"r","why":""}`, "why"},
		{"an unknown class", `{"class":"SMALL","rule":"default","reason":"r"}`, "class"},
		{"a missing rule", `{"class":"NON_CRITICAL","reason":"r"}`, "rule"},
		{"a missing reason", `{"class":"NON_CRITICAL","rule":"default"}`, "reason"},
		{"an unknown floor", `{"class":"NON_CRITICAL","rule":"default","reason":"r","floor":"floor:tall"}`, "floor"},
		{"a number for the rule", `{"class":"NON_CRITICAL","rule":1,"reason":"r"}`, "rule"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := br.Result{Class: br.NonCritical, Rule: "x", Reason: "y"}
			got := before
			err := got.UnmarshalJSON([]byte(c.doc))
			wiretest.Invalid(t, err, c.field)
			if c.field == "class" && !errors.Is(err, br.ErrUnknownClass) {
				t.Errorf("error %v does not wrap ErrUnknownClass", err)
			}
			if got != before {
				t.Errorf("a failed decode changed the result to %+v", got)
			}
		})
	}
}

func TestResultJSONOmitsAnUnsetFloor(t *testing.T) {
	b, err := json.Marshal(br.Result{Class: br.NonCritical, Rule: "default", Reason: "r"})
	if err != nil || strings.Contains(string(b), "floor") {
		t.Errorf("got %s, %v", b, err)
	}
}

func FuzzResultUnmarshalJSON(f *testing.F) {
	for _, r := range jsonResults(f) {
		b, err := json.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stable[br.Result](t, data)
	})
}
