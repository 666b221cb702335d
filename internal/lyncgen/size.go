package lyncgen

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// ErrSize is wrapped by every error ParseSize returns.
var ErrSize = errors.New("invalid size")

// sizeUnits maps a unit suffix (lower case) to its multiplier: decimal
// for KB, MB, GB, TB and binary for KiB, MiB, GiB, TiB.
var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// maxSize is the largest size accepted: 16 TiB.
const maxSize = 1 << 44

// ParseSize parses a byte count, for --size flags, such as "1.5GB", "300 KiB" or "1048576".
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return !unicode.IsDigit(r) && r != '.' })
	if i < 0 {
		i = len(t)
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult, ok := sizeUnits[unit]
	if !ok {
		return 0, fmt.Errorf("%w %q: unknown unit %q (use B, KB, MB, GB, TB or KiB, MiB, GiB, TiB)", ErrSize, s, t[i:])
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" || strings.ContainsAny(num, "eE") {
		return 0, fmt.Errorf("%w %q: %q is not a number", ErrSize, s, num)
	}
	n := v * mult
	if n < 1 || n > maxSize || math.IsNaN(n) {
		return 0, fmt.Errorf("%w %q: must be between 1 byte and 16 TiB", ErrSize, s)
	}
	return int64(n), nil
}
