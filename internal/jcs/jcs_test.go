package jcs

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rfcSample is the input of RFC 8785 section 3.2.2.
const rfcSample = `{
  "numbers": [333333333.33333329, 1E30, 4.50,
              2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`

// rfcSampleCanonical is the expected output for rfcSample given in RFC 8785.
const rfcSampleCanonical = `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`

// rfcSorting is the input of RFC 8785 section 3.2.3.
const rfcSorting = `{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}`

// rfcSortingCanonical holds the members of rfcSorting in the order RFC 8785
// gives: U+000D, U+0031, U+0080, U+00F6, U+20AC, U+1F600, U+FB33. Apart from
// \r, every name is written literally as UTF-8 (U+0080 as C2 80).
const rfcSortingCanonical = "{" +
	`"\r":"Carriage Return",` +
	`"1":"One",` +
	"\"\u0080\":\"Control\"," +
	"\"\u00f6\":\"Latin Small Letter O With Diaeresis\"," +
	"\"\u20ac\":\"Euro Sign\"," +
	"\"\U0001F600\":\"Emoji: Grinning Face\"," +
	"\"\uFB33\":\"Hebrew Letter Dalet With Dagesh\"" +
	"}"

func canon(t *testing.T, in string) string {
	t.Helper()
	out, err := Canonicalize(nil, []byte(in))
	require.NoError(t, err, "input %q", in)
	return string(out)
}

func TestRFC8785Sample(t *testing.T) {
	assert.Equal(t, rfcSampleCanonical, canon(t, rfcSample))
	out, err := CanonicalizeObject(nil, []byte(rfcSample))
	require.NoError(t, err)
	assert.Equal(t, rfcSampleCanonical, string(out))
}

func TestRFC8785Sorting(t *testing.T) {
	got := canon(t, rfcSorting)
	assert.Equal(t, rfcSortingCanonical, got)
	// The same bytes spelled out, to guard the expectation itself.
	assert.Equal(t, []byte{'{', '"', '\\', 'r', '"'}, []byte(got[:5]))
	assert.Contains(t, got, "\"\xc2\x80\":\"Control\"")
	assert.Less(t, strings.Index(got, "\xf0\x9f\x98\x80"), strings.Index(got, "\xef\xac\xb3"))
}

func TestCanonicalForms(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"whitespace", " \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\" : { } } \n", `{"a":[1,2],"b":{}}`},
		{"literals", `[true,false,null]`, `[true,false,null]`},
		{"scalar top level", ` "x" `, `"x"`},
		{"number top level", `-0`, `0`},
		{"empty containers", `[{},[],""]`, `[{},[],""]`},
		{"nested sort", `{"b":{"d":1,"c":2},"a":[{"z":0,"y":1}]}`, `{"a":[{"y":1,"z":0}],"b":{"c":2,"d":1}}`},
		{"prefix keys", `{"ab":1,"a":2,"":3}`, `{"":3,"a":2,"ab":1}`},
		{"escapes decoded", `"\u0041\/\"\\\b\f\n\r\t"`, `"A/\"\\\b\f\n\r\t"`},
		{"control escapes", `"\u0000\u0001\u001f\u000B\u007f"`, "\"\\u0000\\u0001\\u001f\\u000b\x7f\""},
		{"literal non-ASCII kept", "\"\u00e9\u2028\u2029\U0010FFFF\"", "\"\u00e9\u2028\u2029\U0010FFFF\""},
		{"escaped non-ASCII emitted literally", `"\u00e9\u2028\ud83d\ude00\uFFFF"`, "\"\u00e9\u2028\U0001F600\uffff\""},
		{"escaped key re-escaped", `{"\u0022\n":1}`, `{"\"\n":1}`},
		{"bmp private use after supplementary", `{"\ue000":1,"\ud800\udc00":2}`, "{\"\U00010000\":2,\"\ue000\":1}"},
		{"numbers", `[1.0,-1.5e0,100,1e2,0.1,1E-7,123456789012345678901234,-0.0,0e5]`, `[1,-1.5,100,100,0.1,1e-7,1.2345678901234569e+23,0,0]`},
		{"big integers", `[9007199254740993,123456789012345,1234567890123456]`, `[9007199254740992,123456789012345,1234567890123456]`},
		{"underflow rounds to zero", `[1e-400,-1e-400]`, `[0,0]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, canon(t, tt.in))
		})
	}
}

func TestAppendsToDst(t *testing.T) {
	prefix := []byte("prefix:")
	out, err := Canonicalize(prefix, []byte(`{"b":1,"a":2}`))
	require.NoError(t, err)
	assert.Equal(t, `prefix:{"a":2,"b":1}`, string(out))

	dst := make([]byte, 3, 64)
	copy(dst, "abc")
	out, err = Canonicalize(dst, []byte(`{"b":1,"a":`))
	require.Error(t, err)
	assert.Equal(t, "abc", string(out), "on error dst is returned unchanged")
}

func TestCanonicalizeObject(t *testing.T) {
	out, err := CanonicalizeObject(nil, []byte(" {\"b\":1,\"a\":[]} "))
	require.NoError(t, err)
	assert.Equal(t, `{"a":[],"b":1}`, string(out))

	for _, in := range []string{`[1]`, `"x"`, `1`, `true`, ` null`, `[`} {
		_, err := CanonicalizeObject(nil, []byte(in))
		assertErr(t, err, ErrNotObject, strings.IndexFunc(in, func(r rune) bool { return r != ' ' }), in)
		_, err = Canonicalize(nil, []byte(in))
		if in == `[` {
			assert.ErrorIs(t, err, ErrInvalidJSON)
		} else {
			assert.NoError(t, err)
		}
	}
	for _, in := range []string{``, `  `, `{`, `{"a":1}x`} {
		_, err := CanonicalizeObject(nil, []byte(in))
		assert.ErrorIs(t, err, ErrInvalidJSON, "input %q", in)
	}
}

func TestIdempotent(t *testing.T) {
	inputs := []string{rfcSample, rfcSorting, benchDocument(t)}
	for _, tt := range append(inputs, crossCheckInputs...) {
		once := canon(t, tt)
		assert.Equal(t, once, canon(t, once), "input %q", tt)
	}
}

var crossCheckInputs = []string{
	`{"z":[1,2,{"y":null,"x":true}],"a":"\u00e9\ud83d\ude00","m":-0.0000123,"n":1e21}`,
	`[1e-7,1e300,-5e-324,0.30000000000000004,1.7976931348623157e308]`,
	`{"\u0000":"\u001f","\"":"\\","\ud83d\ude00":{},"\uffff":[],"":""}`,
	`"\u2028\u2029\u007f"`,
	`{"deep":[[[[[[{"k":[[[]]]}]]]]]]}`,
	`12345678901234567890`,
}

// TestMatchesEncodingJSON checks that the canonical form denotes the same
// value as the input according to encoding/json.
func TestMatchesEncodingJSON(t *testing.T) {
	for _, in := range append([]string{rfcSample, rfcSorting, benchDocument(t)}, crossCheckInputs...) {
		out := canon(t, in)
		var want, got any
		require.NoError(t, json.Unmarshal([]byte(in), &want))
		require.NoError(t, json.Unmarshal([]byte(out), &got))
		assert.True(t, reflect.DeepEqual(want, got), "input %q\noutput %q", in, out)
	}
}

func assertErr(t *testing.T, err, sentinel error, offset int, in string) {
	t.Helper()
	require.Error(t, err, "input %q", in)
	assert.ErrorIs(t, err, sentinel, "input %q", in)
	var se *SyntaxError
	require.ErrorAs(t, err, &se, "input %q", in)
	assert.NotEmpty(t, se.Reason)
	assert.Contains(t, err.Error(), se.Reason)
	if offset >= 0 {
		assert.Equal(t, int64(offset), se.Offset, "input %q: %v", in, err)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		sentinel error
		offset   int // -1: not checked
	}{
		{"empty", ``, ErrInvalidJSON, 0},
		{"only whitespace", "  \n", ErrInvalidJSON, 3},
		{"truncated object", `{"a":1`, ErrInvalidJSON, 6},
		{"truncated string", `{"a`, ErrInvalidJSON, 3},
		{"truncated literal", `tru`, ErrInvalidJSON, 0},
		{"truncated escape", `"\u00`, ErrInvalidJSON, 1},
		{"trailing comma object", `{"a":1,}`, ErrInvalidJSON, 7},
		{"trailing comma array", `[1,]`, ErrInvalidJSON, 3},
		{"single quotes", `{'a':1}`, ErrInvalidJSON, 1},
		{"trailing garbage", `{} x`, ErrInvalidJSON, 3},
		{"two values", `1 2`, ErrInvalidJSON, 2},
		{"missing colon", `{"a" 1}`, ErrInvalidJSON, 5},
		{"missing comma", `[1 2]`, ErrInvalidJSON, 3},
		{"non-string key", `{1:2}`, ErrInvalidJSON, 1},
		{"bad literal", `nul`, ErrInvalidJSON, 0},
		{"capital literal", `True`, ErrInvalidJSON, 0},
		{"bad escape", `"\x"`, ErrInvalidJSON, 1},
		{"bad unicode escape", `"\u12G4"`, ErrInvalidJSON, 1},
		{"BOM", "\ufeff{}", ErrInvalidJSON, 0},
		{"unescaped newline", "\"a\nb\"", ErrInvalidJSON, 2},
		{"unescaped tab", "\"\t\"", ErrInvalidJSON, 1},
		{"unescaped NUL in key", "{\"\x00\":1}", ErrInvalidJSON, 2},
		{"leading zero", `01`, ErrInvalidJSON, 0},
		{"negative leading zero", `-012`, ErrInvalidJSON, 1},
		{"plus sign", `+1`, ErrInvalidJSON, 0},
		{"bare fraction", `.5`, ErrInvalidJSON, 0},
		{"trailing point", `1.`, ErrInvalidJSON, 2},
		{"point exponent", `1.e5`, ErrInvalidJSON, 2},
		{"empty exponent", `1e`, ErrInvalidJSON, 2},
		{"signed empty exponent", `[1e+]`, ErrInvalidJSON, 4},
		{"lone minus", `-`, ErrInvalidJSON, 1},
		{"hex", `0x10`, ErrInvalidJSON, 1},
		{"NaN", `NaN`, ErrInvalidJSON, 0},
		{"Infinity", `[Infinity]`, ErrInvalidJSON, 1},
		{"minus Infinity", `-Infinity`, ErrInvalidJSON, 1},
		{"duplicate key", `{"a":1,"b":2,"a":3}`, ErrDuplicateKey, 13},
		{"duplicate by escaping", `{"a":1,"\u0061":2}`, ErrDuplicateKey, 7},
		{"duplicate by escaping first", `{"\u0061":1,"a":2}`, ErrDuplicateKey, 12},
		{"duplicate surrogate pair", "{\"\\ud83d\\ude00\":1,\"\U0001F600\":2}", ErrDuplicateKey, 18},
		{"duplicate nested", `[{"x":{"k":1,"k":1}}]`, ErrDuplicateKey, 13},
		{"invalid UTF-8", "\"a\xffb\"", ErrInvalidUTF8, 2},
		{"invalid UTF-8 in key", "{\"\xc3\":1}", ErrInvalidUTF8, 2},
		{"overlong UTF-8", "\"\xc0\xaf\"", ErrInvalidUTF8, 1},
		{"UTF-8 surrogate", "\"\xed\xa0\x80\"", ErrInvalidUTF8, 1},
		{"invalid UTF-8 after escape", "\"\\n\xff\"", ErrInvalidUTF8, 3},
		{"lone high surrogate", `"\ud800"`, ErrInvalidUTF8, 1},
		{"lone low surrogate", `"x\udc00"`, ErrInvalidUTF8, 2},
		{"high surrogate then BMP", `"\ud800\u0041"`, ErrInvalidUTF8, 1},
		{"two high surrogates", `"\ud800\ud800"`, ErrInvalidUTF8, 1},
		{"high surrogate at end", `"\udbff`, ErrInvalidUTF8, 1},
		{"lone surrogate key", `{"\udfff":1}`, ErrInvalidUTF8, 2},
		{"1e400", `1e400`, ErrNumberRange, 0},
		{"-1e400", `[-1e400]`, ErrNumberRange, 1},
		{"long overflow", `{"n":` + strings.Repeat("9", 400) + `}`, ErrNumberRange, 5},
		{"too deep arrays", strings.Repeat("[", 100000), ErrTooDeep, MaxDepth},
		{"too deep objects", strings.Repeat(`{"a":`, 100000), ErrTooDeep, 5 * MaxDepth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Canonicalize(nil, []byte(tt.in))
			assertErr(t, err, tt.sentinel, tt.offset, tt.in)
			assert.Nil(t, out)
		})
	}
}

func TestDepthLimit(t *testing.T) {
	ok := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	assert.Equal(t, ok, canon(t, ok))
	tooDeep := "[" + ok + "]"
	_, err := Canonicalize(nil, []byte(tooDeep))
	assertErr(t, err, ErrTooDeep, MaxDepth, "too deep")

	objs := strings.Repeat(`{"a":`, MaxDepth) + "0" + strings.Repeat("}", MaxDepth)
	assert.Equal(t, objs, canon(t, objs))
}

func TestErrorMessage(t *testing.T) {
	_, err := Canonicalize(nil, []byte(`{"a":1,"a":2}`))
	assert.EqualError(t, err, `jcs: duplicate member name "a" at offset 7`)
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Same(t, ErrDuplicateKey, se.Err)
	assert.True(t, errors.Is(se, ErrDuplicateKey))
	assert.False(t, errors.Is(se, ErrInvalidJSON))
}

func TestNoAllocations(t *testing.T) {
	src := []byte(benchDocument(t))
	dst, err := Canonicalize(nil, src)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(100, func() {
		dst, err = Canonicalize(dst[:0], src)
	})
	require.NoError(t, err)
	// The parser, and room to reorder members larger than it holds.
	assert.LessOrEqual(t, allocs, 2.0)
}
