package rules

import (
	"strconv"
	"strings"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// Verdict is what lyncaudit concludes about a service a host offers, or a
// catalog entry it does not.
type Verdict uint8

// The verdicts. Their string forms are stable report keys.
const (
	Expected   Verdict = iota + 1 // the catalog allows the host's roles to serve the port
	Unexpected                    // no entry for the host's roles covers the port
	Mismatch                      // the port is allowed but the payload is not what the entry says
	Missing                       // an entry for the host's roles that no traffic matched
	numVerdicts
)

var verdictNames = [numVerdicts]string{
	Expected:   "expected",
	Unexpected: "unexpected",
	Mismatch:   "mismatch",
	Missing:    "missing",
}

// String returns the verdict's stable name, such as "unexpected".
func (v Verdict) String() string {
	if v > 0 && v < numVerdicts {
		return verdictNames[v]
	}
	return "verdict-" + strconv.Itoa(int(v))
}

// ParseVerdict returns the verdict whose name is s, ignoring case.
func ParseVerdict(s string) (Verdict, bool) {
	for v := Expected; v < numVerdicts; v++ {
		if strings.EqualFold(verdictNames[v], s) {
			return v, true
		}
	}
	return 0, false
}

// Judge returns Expected and the entries that allow a host holding roles to
// listen on port over transport t, or Unexpected and no entries. The payload
// is not looked at here.
func (c *Catalog) Judge(roles RoleSet, port uint16, t decoders.Transport) (Verdict, []*Entry) {
	if es := c.Match(nil, roles, Listen, port, t); len(es) > 0 {
		return Expected, es
	}
	return Unexpected, nil
}
