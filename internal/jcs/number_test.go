package jcs

import (
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// appendixB is the number serialisation table of RFC 8785 Appendix B:
// IEEE-754 bit patterns and their canonical text.
var appendixB = []struct {
	bits uint64
	want string
}{
	{0x0000000000000000, "0"},
	{0x8000000000000000, "0"},
	{0x0000000000000001, "5e-324"},
	{0x8000000000000001, "-5e-324"},
	{0x7fefffffffffffff, "1.7976931348623157e+308"},
	{0xffefffffffffffff, "-1.7976931348623157e+308"},
	{0x4340000000000000, "9007199254740992"},
	{0xc340000000000000, "-9007199254740992"},
	{0x4430000000000000, "295147905179352830000"},
	{0x44b52d02c7e14af5, "9.999999999999997e+22"},
	{0x44b52d02c7e14af6, "1e+23"},
	{0x44b52d02c7e14af7, "1.0000000000000001e+23"},
	{0x444b1ae4d6e2ef4e, "999999999999999700000"},
	{0x444b1ae4d6e2ef4f, "999999999999999900000"},
	{0x444b1ae4d6e2ef50, "1e+21"},
	{0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
	{0x3eb0c6f7a0b5ed8d, "0.000001"},
	{0x41b3de4355555553, "333333333.3333332"},
	{0x41b3de4355555554, "333333333.33333325"},
	{0x41b3de4355555555, "333333333.3333333"},
	{0x41b3de4355555556, "333333333.3333334"},
	{0x41b3de4355555557, "333333333.33333343"},
	{0xbecbf647612f3696, "-0.0000033333333333333333"},
	{0x43143ff3c1cb0959, "1424953923781206.2"},
}

func TestAppendixBFormatter(t *testing.T) {
	for _, tt := range appendixB {
		f := math.Float64frombits(tt.bits)
		got, err := appendNumber(nil, f)
		require.NoError(t, err, "%#016x", tt.bits)
		assert.Equal(t, tt.want, string(got), "%#016x", tt.bits)
	}
}

func TestAppendixBViaCanonicalize(t *testing.T) {
	for _, tt := range appendixB {
		f := math.Float64frombits(tt.bits)
		texts := []string{
			tt.want,
			strconv.FormatFloat(f, 'g', -1, 64),
			strconv.FormatFloat(f, 'e', 16, 64), // 17 significant digits
			strconv.FormatFloat(f, 'E', -1, 64),
		}
		for _, text := range texts {
			got, err := Canonicalize(nil, []byte(text))
			require.NoError(t, err, "%#016x as %s", tt.bits, text)
			assert.Equal(t, tt.want, string(got), "%#016x as %s", tt.bits, text)
		}
	}
}

func TestFormatterRejectsNonFinite(t *testing.T) {
	// Appendix B's NaN and Infinity rows have no JSON form at all.
	for _, bits := range []uint64{0x7fffffffffffffff, 0x7ff0000000000000, 0xfff0000000000000} {
		dst := []byte("x")
		got, err := appendNumber(dst, math.Float64frombits(bits))
		assert.ErrorIs(t, err, ErrNumberRange, "%#016x", bits)
		assert.Equal(t, "x", string(got))
	}
	for _, in := range []string{"1e400", "-1e400", "1.8e308", "-17976931348623159e292"} {
		_, err := Canonicalize(nil, []byte(in))
		assertErr(t, err, ErrNumberRange, 0, in)
	}
	// The largest double and inputs that round to it are accepted.
	for _, in := range []string{"1.7976931348623157e308", "17976931348623158e292"} {
		assert.Equal(t, "1.7976931348623157e+308", canon(t, in))
	}
}

func TestNumberFormatting(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1", "1"},
		{"-1", "-1"},
		{"1.5", "1.5"},
		{"1e0", "1"},
		{"1E+2", "100"},
		{"0.1", "0.1"},
		{"1e-6", "0.000001"},
		{"1e-7", "1e-7"},
		{"1.5e-7", "1.5e-7"},
		{"1e-10", "1e-10"},
		{"-1e-100", "-1e-100"},
		{"1e20", "100000000000000000000"},
		{"1e21", "1e+21"},
		{"1.5e300", "1.5e+300"},
		{"123456789012345", "123456789012345"},
		{"999999999999999", "999999999999999"},
		{"9999999999999999", "10000000000000000"},
		{"0.30000000000000004", "0.30000000000000004"},
		{"-0", "0"},
		{"-0.0e-5", "0"},
		{"4.50", "4.5"},
		{"2e-3", "0.002"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, canon(t, tt.in), "input %s", tt.in)
	}
}

// TestNumberRoundTrip checks random doubles: the canonical text must parse
// back to the same value and be stable.
func TestNumberRoundTrip(t *testing.T) {
	state := uint64(0x9E3779B97F4A7C15)
	for range 20000 {
		state ^= state << 13
		state ^= state >> 7
		state ^= state << 17
		f := math.Float64frombits(state)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		text, err := appendNumber(nil, f)
		require.NoError(t, err)
		back, err := strconv.ParseFloat(string(text), 64)
		require.NoError(t, err)
		require.Equal(t, f == 0, back == 0)
		if f != 0 {
			require.Equal(t, f, back, "%s", text)
		}
		require.Equal(t, string(text), canon(t, string(text)))
	}
}
