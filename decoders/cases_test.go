package decoders

import (
	"cmp"
	"maps"
	"slices"
	"testing"
)

// flowStep is one payload of a flow case and the answer wanted after it.
type flowStep struct {
	dir  Dir
	data []byte
	want Answer
}

// flowCase is the start of a flow fed to one signature, and what the
// signature must make of it: the answer after each payload, then the
// Detail.
type flowCase struct {
	name           string
	transport      Transport
	client, server uint16 // ports, for the signatures that read them; zero: 50000 and 443
	steps          []flowStep
	detail         map[string]string // every Attr wanted at the end, in any order (nil: none)
	attrs          []Attr            // instead of detail: every Attr, in the order found
	cert           CertStatus
	media          MediaKind
}

// runFlowCases feeds each case's payloads to sig on a fresh State, as the
// analyzer does, and checks every answer, then the Detail.
func runFlowCases(t *testing.T, sig Signature, cases []flowCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !sig.Accepts(tc.transport) {
				t.Fatalf("%v does not accept %v", sig.Protocol(), tc.transport)
			}
			var s State
			s.Reset(tc.transport, cmp.Or(tc.client, 50000), cmp.Or(tc.server, 443))
			for i, step := range tc.steps {
				got := sig.Inspect(&s, step.dir, step.data)
				s.Payloads[step.dir]++
				if got != step.want {
					t.Fatalf("payload %d (%d bytes): %v, want %v (detail %v)", i+1, len(step.data), got, step.want, s.Detail.Attrs)
				}
			}
			if tc.attrs != nil {
				if !slices.Equal(s.Detail.Attrs, tc.attrs) {
					t.Errorf("detail\n got %q\nwant %q", s.Detail.Attrs, tc.attrs)
				}
			} else {
				checkAttrs(t, s.Detail.Attrs, tc.detail)
			}
			if s.Detail.ClientCert != tc.cert {
				t.Errorf("client certificate %v, want %v", s.Detail.ClientCert, tc.cert)
			}
			if s.Detail.Media != tc.media {
				t.Errorf("media %v, want %v", s.Detail.Media, tc.media)
			}
		})
	}
}

// checkDetail compares d with the wanted Attrs (all of them, in any order)
// and ClientCert.
func checkDetail(t *testing.T, d *Detail, want map[string]string, cert CertStatus) {
	t.Helper()
	checkAttrs(t, d.Attrs, want)
	if d.ClientCert != cert {
		t.Errorf("client certificate %v, want %v", d.ClientCert, cert)
	}
}

// checkAttrs compares attrs with the wanted ones: all of them, in any order.
func checkAttrs(t *testing.T, attrs []Attr, want map[string]string) {
	t.Helper()
	got := make(map[string]string, len(attrs))
	for _, a := range attrs {
		got[a.Key] = a.Value
	}
	if len(got) != len(attrs) || !maps.Equal(got, want) {
		t.Errorf("detail %v, want %v", attrs, want)
	}
}
