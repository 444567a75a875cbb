package riskmodel

// Mode names how much automation a model version allows. Each trust maturity
// level runs under one mode.
type Mode string

// The five modes, from the most to the least conservative.
const (
	GreenfieldConservative Mode = "GREENFIELD_CONSERVATIVE"
	Cautious               Mode = "CAUTIOUS"
	Moderate               Mode = "MODERATE"
	Mature                 Mode = "MATURE"
	Optimized              Mode = "OPTIMIZED"
)

// Modes returns the five modes, most conservative first.
func Modes() []Mode {
	return []Mode{GreenfieldConservative, Cautious, Moderate, Mature, Optimized}
}

// Valid reports whether m is one of the five modes.
func (m Mode) Valid() bool {
	switch m {
	case GreenfieldConservative, Cautious, Moderate, Mature, Optimized:
		return true
	}
	return false
}

// ParseMode returns the mode named by s, or an invalid-input error for the
// field "mode" wrapping [ErrMalformed].
func ParseMode(s string) (Mode, error) {
	m := Mode(s)
	if !m.Valid() {
		return "", fieldErr(ErrMalformed, "mode", "unknown mode %q", s)
	}
	return m, nil
}

// String returns the mode name.
func (m Mode) String() string { return string(m) }
