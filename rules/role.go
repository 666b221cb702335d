package rules

import (
	"strconv"
	"strings"
)

// Role is a Lync server role, a load balancer placement or a class of client,
// as the port catalog names them. The zero value is no role.
type Role uint8

// The roles, in the order inventories, catalogs and reports list them.
const (
	Frontend       Role = iota + 1 // Front End Server (or Standard Edition server)
	CMS                            // the Front End Server that holds the Central Management Store
	Mediation                      // Mediation Server, stand-alone or collocated
	Director                       // Director
	PersistentChat                 // Persistent Chat Front End Server
	OfficeWebApps                  // Office Web Apps Server
	FrontendLB                     // hardware load balancer of a Front End pool that uses only HLB
	DirectorLB                     // hardware load balancer of a Director pool that uses only HLB
	MediationLB                    // hardware load balancer of a Mediation pool
	FrontendLBDNS                  // hardware load balancer of a DNS-load-balanced Front End pool
	DirectorLBDNS                  // hardware load balancer of a DNS-load-balanced Director pool
	Client                         // Lync client
	IPPhone                        // Lync Phone Edition device
	numRoles
)

var roleIDs = [numRoles]string{
	Frontend:       "frontend",
	CMS:            "cms",
	Mediation:      "mediation",
	Director:       "director",
	PersistentChat: "persistent-chat",
	OfficeWebApps:  "office-web-apps",
	FrontendLB:     "frontend-lb",
	DirectorLB:     "director-lb",
	MediationLB:    "mediation-lb",
	FrontendLBDNS:  "frontend-lb-dns",
	DirectorLBDNS:  "director-lb-dns",
	Client:         "client",
	IPPhone:        "ip-phone",
}

var roleTitles = [numRoles]string{
	Frontend:       "Front End Server",
	CMS:            "Central Management Store (Front End)",
	Mediation:      "Mediation Server",
	Director:       "Director",
	PersistentChat: "Persistent Chat Front End Server",
	OfficeWebApps:  "Office Web Apps Server",
	FrontendLB:     "Front End load balancer",
	DirectorLB:     "Director load balancer",
	MediationLB:    "Mediation Server load balancer",
	FrontendLBDNS:  "Front End load balancer (DNS load balancing)",
	DirectorLBDNS:  "Director load balancer (DNS load balancing)",
	Client:         "Client",
	IPPhone:        "IP phone",
}

// serverRoles are the roles of machines that run Lync Server or serve it.
const serverRoles = RoleSet(1<<Frontend | 1<<CMS | 1<<Mediation | 1<<Director | 1<<PersistentChat | 1<<OfficeWebApps)

func (r Role) valid() bool { return r > 0 && r < numRoles }

// String returns the role's stable id, such as "frontend" or "director-lb".
func (r Role) String() string {
	if r.valid() {
		return roleIDs[r]
	}
	return "role-" + strconv.Itoa(int(r))
}

// Title returns the role's name for people, such as "Front End Server".
func (r Role) Title() string {
	if r.valid() {
		return roleTitles[r]
	}
	return r.String()
}

// IsServer reports whether r is a server role (frontend, cms, mediation,
// director, persistent-chat, office-web-apps) rather than a load balancer or
// a client.
func (r Role) IsServer() bool { return r.valid() && serverRoles.Has(r) }

// ParseRole returns the role whose id is s, ignoring case.
func ParseRole(s string) (Role, bool) {
	for r := Frontend; r < numRoles; r++ {
		if strings.EqualFold(roleIDs[r], s) {
			return r, true
		}
	}
	return 0, false
}

// AllRoles returns every role, in declaration order.
func AllRoles() []Role {
	rs := make([]Role, 0, numRoles-1)
	for r := Frontend; r < numRoles; r++ {
		rs = append(rs, r)
	}
	return rs
}

// roleList is the ids of every role, for error messages.
func roleList() string {
	return strings.Join(roleIDs[Frontend:], ", ")
}

// RoleSet is a set of roles, such as the roles one host holds.
type RoleSet uint32

// NewRoleSet returns the set holding rs.
func NewRoleSet(rs ...Role) RoleSet {
	var s RoleSet
	for _, r := range rs {
		s = s.With(r)
	}
	return s
}

// Has reports whether r is in s.
func (s RoleSet) Has(r Role) bool { return r.valid() && s&(1<<r) != 0 }

// With returns s with r added. Invalid roles are ignored.
func (s RoleSet) With(r Role) RoleSet {
	if !r.valid() {
		return s
	}
	return s | 1<<r
}

// Contains reports whether every role of other is in s.
func (s RoleSet) Contains(other RoleSet) bool { return s&other == other }

// Roles returns the roles of s in declaration order.
func (s RoleSet) Roles() []Role {
	var rs []Role
	for r := Frontend; r < numRoles; r++ {
		if s.Has(r) {
			rs = append(rs, r)
		}
	}
	return rs
}

// String returns the ids of the roles in s, comma-separated
// ("frontend,mediation"); the empty set gives "".
func (s RoleSet) String() string { return s.join(",") }

// join returns the ids of the roles in s separated by sep.
func (s RoleSet) join(sep string) string {
	var b strings.Builder
	for r := Frontend; r < numRoles; r++ {
		if s.Has(r) {
			if b.Len() > 0 {
				b.WriteString(sep)
			}
			b.WriteString(roleIDs[r])
		}
	}
	return b.String()
}

// IsServer reports whether s holds at least one server role.
func (s RoleSet) IsServer() bool { return s&serverRoles != 0 }

// Empty reports whether s holds no role.
func (s RoleSet) Empty() bool { return s == 0 }
