package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseTimeArg(t *testing.T) {
	first := time.Date(2026, 3, 2, 10, 40, 0, 0, time.UTC)
	local := time.Local
	time.Local = time.UTC
	t.Cleanup(func() { time.Local = local })
	for _, tc := range []struct {
		in, want string // want: RFC 3339, or "" for an error
	}{
		{"2026-03-02T10:45:00Z", "2026-03-02T10:45:00Z"},
		{"2026-03-02T11:45:00+01:00", "2026-03-02T10:45:00Z"},
		{"10:45", "2026-03-02T10:45:00Z"},
		{"10:45:30", "2026-03-02T10:45:30Z"},
		{"09:00", "2026-03-02T09:00:00Z"}, // before the capture: the same day still
		{"25:00", ""},
		{"10h45", ""},
		{"", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			a, err := parseTimeArg("since", tc.in)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("accepted %q as %s", tc.in, a.resolve(first))
				}
				if !strings.Contains(err.Error(), "--since") {
					t.Errorf("error %q does not name the flag", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := a.resolve(first).UTC().Format(time.RFC3339); got != tc.want {
				t.Errorf("%q → %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestAnalyzeWindow(t *testing.T) {
	args := []string{"analyze", "--inventory", "../../testdata/sample.inventory", "-f", "json", "--bucket", "10s",
		"--since", "2026-03-02T10:40:20Z", "--until", "2026-03-02T10:40:40Z", "../../testdata/sample.pcapng"}
	res := runCmd(t, nil, args...)
	if res.status != 1 { // the sample breaks the catalog
		t.Fatalf("status %d: %s", res.status, res.stderr)
	}
	var rep struct {
		Window struct{ Since, Until time.Time }
		Totals struct {
			OutsideWindow uint64 `json:"outside_window"`
		}
		Timeline struct {
			Bucket  string
			Buckets []struct{ Start time.Time }
		}
	}
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Window.Since.Minute() != 40 || rep.Window.Since.Second() != 20 || rep.Window.Until.Second() != 40 {
		t.Errorf("window %+v", rep.Window)
	}
	if rep.Totals.OutsideWindow == 0 {
		t.Error("no frame counted outside the window")
	}
	if rep.Timeline.Bucket != "10s" || len(rep.Timeline.Buckets) != 2 {
		t.Errorf("timeline of %d buckets of %s, want 2 of 10s", len(rep.Timeline.Buckets), rep.Timeline.Bucket)
	}

	for _, bad := range [][]string{
		{"--since", "2026-03-02T10:40:40Z", "--until", "2026-03-02T10:40:20Z"},
		{"--since", "tomorrow"},
		{"--bucket", "-1s"},
	} {
		res := runCmd(t, nil, append(append([]string{"analyze"}, bad...), "../../testdata/sample.pcapng")...)
		first, _, _ := strings.Cut(res.stderr, "\n")
		if res.status != 2 || !strings.Contains(first, bad[len(bad)-2]) {
			t.Errorf("%v: status %d, stderr %q; want 2 and an error naming %s", bad, res.status, res.stderr, bad[len(bad)-2])
		}
	}
}
