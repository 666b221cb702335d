package rules

import (
	"slices"
	"strings"
	"testing"
)

func TestRoles(t *testing.T) {
	ids := []string{"frontend", "cms", "mediation", "director", "persistent-chat", "office-web-apps",
		"frontend-lb", "director-lb", "mediation-lb", "frontend-lb-dns", "director-lb-dns", "client", "ip-phone"}
	servers := []string{"frontend", "cms", "mediation", "director", "persistent-chat", "office-web-apps"}
	all := AllRoles()
	if len(all) != len(ids) {
		t.Fatalf("AllRoles has %d roles, want %d", len(all), len(ids))
	}
	titles := map[string]bool{}
	for i, r := range all {
		t.Run(ids[i], func(t *testing.T) {
			if r.String() != ids[i] {
				t.Errorf("role %d is %q, want %q", i, r, ids[i])
			}
			if got, ok := ParseRole(strings.ToUpper(ids[i])); !ok || got != r {
				t.Errorf("ParseRole(%q) = %v, %v", strings.ToUpper(ids[i]), got, ok)
			}
			if r.IsServer() != slices.Contains(servers, ids[i]) {
				t.Errorf("IsServer = %v", r.IsServer())
			}
			if title := r.Title(); title == "" || title == r.String() || titles[title] {
				t.Errorf("Title = %q: empty, the id, or shared with another role", title)
			}
			titles[r.Title()] = true
		})
	}
	for _, bad := range []string{"", "front-end", "frontend ", "role-0"} {
		if r, ok := ParseRole(bad); ok {
			t.Errorf("ParseRole(%q) = %v", bad, r)
		}
	}
	if got := Role(0).String(); got != "role-0" {
		t.Errorf("Role(0) = %q", got)
	}
	if Role(0).IsServer() || Role(99).IsServer() {
		t.Error("an invalid role is a server")
	}
	if got := CMS.Title(); got != "Central Management Store (Front End)" {
		t.Errorf("CMS.Title() = %q", got)
	}
}

func TestRoleSet(t *testing.T) {
	fm := NewRoleSet(Mediation, Frontend, Mediation)
	for _, tt := range []struct {
		name string
		got  any
		want any
	}{
		{"String orders roles", fm.String(), "frontend,mediation"},
		{"Roles orders roles", fm.Roles(), []Role{Frontend, Mediation}},
		{"Has", fm.Has(Frontend) && fm.Has(Mediation) && !fm.Has(CMS), true},
		{"Has ignores invalid roles", RoleSet(1).Has(0), false},
		{"With adds", fm.With(Client).String(), "frontend,mediation,client"},
		{"With ignores invalid roles", fm.With(0).With(numRoles), fm},
		{"Contains a subset", fm.Contains(NewRoleSet(Frontend)), true},
		{"Contains itself", fm.Contains(fm), true},
		{"Contains the empty set", fm.Contains(0), true},
		{"does not contain a superset", fm.Contains(fm.With(Client)), false},
		{"IsServer", fm.IsServer(), true},
		{"load balancers are not servers", NewRoleSet(FrontendLB, Client).IsServer(), false},
		{"Empty", RoleSet(0).Empty() && !fm.Empty(), true},
		{"empty String", RoleSet(0).String(), ""},
		{"empty Roles", RoleSet(0).Roles(), []Role(nil)},
		{"all roles", NewRoleSet(AllRoles()...).String(), strings.Join(roleIDs[Frontend:], ",")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !equalAny(tt.got, tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func equalAny(a, b any) bool {
	if ra, ok := a.([]Role); ok {
		rb, _ := b.([]Role)
		return slices.Equal(ra, rb) && (ra == nil) == (rb == nil)
	}
	return a == b
}
