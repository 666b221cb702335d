package lyncgen

import (
	"errors"
	"strconv"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"1.5GB", 1_500_000_000},
		{"1.5gb", 1_500_000_000},
		{"300KB", 300_000},
		{"300 KiB", 307_200},
		{"800MiB", 800 << 20},
		{" 2GiB ", 2 << 30},
		{"1048576", 1 << 20},
		{"10B", 10},
		{"1T", 1_000_000_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseSizeErrors(t *testing.T) {
	for _, in := range []string{"", "GB", "1.5XB", "-1GB", "1e9", "0", "0.1", "17TiB", "1..5GB", "1.5 G B", "NaN", "Inf"} {
		t.Run(in, func(t *testing.T) {
			if n, err := ParseSize(in); !errors.Is(err, ErrSize) {
				t.Errorf("ParseSize(%q) = %d, %v; want an ErrSize error", in, n, err)
			}
		})
	}
}

// FuzzParseSize checks that accepted sizes are in range and that a size
// written back as plain bytes parses to itself.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"1.5GB", "300KB", "800MiB", "1048576", " 2 GiB", "0.5kb", "16TiB", "1e3", "..", "9999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			if !errors.Is(err, ErrSize) {
				t.Fatalf("ParseSize(%q): error %v does not wrap ErrSize", s, err)
			}
			return
		}
		if n < 1 || n > maxSize {
			t.Fatalf("ParseSize(%q) = %d, out of range", s, n)
		}
		back, err := ParseSize(strconv.FormatInt(n, 10))
		if err != nil || back != n {
			t.Fatalf("ParseSize(%d) = %d, %v", n, back, err)
		}
	})
}
