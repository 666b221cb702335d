package rules

import (
	"errors"
	"strings"
	"testing"
)

func TestPosString(t *testing.T) {
	for _, tt := range []struct {
		pos  Pos
		want string
	}{
		{Pos{File: "inv", Line: 3, Column: 7}, "inv:3:7"},
		{Pos{File: "inv", Line: 3}, "inv:3"},
		{Pos{Line: 3, Column: 7}, "3:7"},
		{Pos{File: "inv"}, "inv"},
		{Pos{}, "-"},
	} {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.pos.String(); got != tt.want {
				t.Errorf("%#v.String() = %q, want %q", tt.pos, got, tt.want)
			}
		})
	}
}

func TestErrorList(t *testing.T) {
	var l ErrorList
	if l.Err() != nil {
		t.Fatalf("empty list: Err() = %v, want nil", l.Err())
	}
	if got := l.Error(); got != "no errors" {
		t.Errorf("empty list: Error() = %q", got)
	}
	l.Add(Pos{File: "b", Line: 1, Column: 1}, ErrNoRole)
	l.Add(Pos{File: "a", Line: 9, Column: 2}, ErrBadPort)
	l.Add(Pos{File: "a", Line: 9, Column: 1}, ErrSyntax)
	l.Add(Pos{File: "a", Line: 2, Column: 5}, ErrDuplicate)
	l.Sort()
	var got []string
	for _, e := range l {
		got = append(got, e.Error())
	}
	want := "a:2:5: duplicate|a:9:1: syntax error|a:9:2: bad port|b:1:1: no role"
	if strings.Join(got, "|") != want {
		t.Errorf("sorted list %q, want %q", strings.Join(got, "|"), want)
	}
	err := l.Err()
	if got, want := err.Error(), "a:2:5: duplicate (and 3 more errors)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := l[:2].Error(), "a:2:5: duplicate (and 1 more error)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	for _, sentinel := range []error{ErrNoRole, ErrBadPort, ErrSyntax, ErrDuplicate} {
		if !errors.Is(err, sentinel) {
			t.Errorf("errors.Is(list, %v) = false", sentinel)
		}
	}
	if errors.Is(err, ErrUnknownRole) {
		t.Error("errors.Is(list, ErrUnknownRole) = true")
	}
	var e *Error
	if !errors.As(err, &e) || e.Pos.Line != 2 {
		t.Errorf("errors.As found %v, want the first error", e)
	}
}
