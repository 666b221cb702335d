package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/lyncaudit/lyncaudit/analyzer"
)

// htmlGroup is one block of the role × catalog-entry matrix: the hosts that
// share a set of roles, against the catalog entries of those roles, then
// the ports the catalog does not allow that any of them served.
type htmlGroup struct {
	Title   string
	Entries []htmlColumn // catalog entries of the roles
	Extra   []htmlColumn // ports outside the catalog
	Rows    []htmlMatrixRow
}

// htmlColumn heads a matrix column: a port and transport, with the
// catalog entry (or why there is none) as its title.
type htmlColumn struct {
	Label, Title string
}

// htmlMatrixRow is one host of a matrix block.
type htmlMatrixRow struct {
	Host, Name, Title string
	Tally             string          // "9 of 38 seen"
	Cells             []htmlMatrixRef // one per catalog entry
	Extra             []htmlMatrixRef // one per port outside the catalog
}

// htmlMatrixRef is one cell: the verdict of a host for a column.
type htmlMatrixRef struct {
	Kind, Symbol, Title string
}

// matrixCell is what one host showed for one column while a block is
// built: the most severe verdict and the service behind it.
type matrixCell struct {
	kind string
	svc  *analyzer.Service // nil for missing entries
}

// extraColumn is a port outside the catalog, seen on some host of a block.
type extraColumn struct {
	key  string // "161/udp"
	port int
}

func newHTMLMatrix(hosts []analyzer.HostReport) []htmlGroup {
	var out []htmlGroup
	for _, g := range groupByRoles(hosts) {
		out = append(out, matrixGroup(g))
	}
	return out
}

func matrixGroup(g hostGroup) htmlGroup {
	entries := map[string]analyzer.EntryRef{}
	extras := map[string]extraColumn{}
	cells := make([]map[string]matrixCell, len(g.hosts))
	for i := range g.hosts {
		h := &g.hosts[i]
		cs := map[string]matrixCell{}
		mark := func(key, kind string, s *analyzer.Service) {
			if old, ok := cs[key]; !ok || kindRank(kind) < kindRank(old.kind) {
				cs[key] = matrixCell{kind, s}
			}
		}
		services := func(list []analyzer.Service, kind func(*analyzer.Service) string) {
			for j := range list {
				s := &list[j]
				if len(s.Catalog) == 0 {
					key := s.PortText() + "/" + s.Transport
					extras[key] = extraColumn{key, int(s.Port)}
					mark(key, kind(s), s)
					continue
				}
				for _, c := range s.Catalog {
					entries[c.Ref] = c
					mark(c.Ref, kind(s), s)
				}
			}
		}
		verdict := func(s *analyzer.Service) string { return s.Verdict }
		services(h.Services, verdict)
		services(h.Connects, verdict)
		services(h.Attempts, func(*analyzer.Service) string { return "unanswered" })
		for _, m := range h.Missing {
			entries[m.Ref] = m
			mark(m.Ref, "missing", nil)
		}
		cells[i] = cs
	}
	refs := sortedEntries(entries)
	cols := sortedExtras(extras)
	out := htmlGroup{Title: escape(rolesTitle(g.hosts[0].Roles))}
	for _, e := range refs {
		out.Entries = append(out.Entries, htmlColumn{Label: entryLabel(e), Title: escape(entryTitle(e))})
	}
	for _, c := range cols {
		out.Extra = append(out.Extra, htmlColumn{Label: escape(c.key), Title: "not in the catalog for these roles"})
	}
	for i, h := range g.hosts {
		row := htmlMatrixRow{Host: escape(h.Address), Name: escape(h.Name), Title: escape(h.Line)}
		seen := 0
		for _, e := range refs {
			c, ok := cells[i][e.Ref]
			if ok && c.kind != "missing" {
				seen++
			}
			row.Cells = append(row.Cells, matrixRef(h, e.Port+"/"+e.Transport, c, ok))
		}
		for _, x := range cols {
			c, ok := cells[i][x.key]
			row.Extra = append(row.Extra, matrixRef(h, x.key, c, ok))
		}
		row.Tally = fmt.Sprintf("%d of %d seen", seen, len(refs))
		if !h.Seen {
			row.Tally += ", host not seen"
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}

// matrixRef describes one cell, its title telling host, port and verdict.
func matrixRef(h analyzer.HostReport, port string, c matrixCell, ok bool) htmlMatrixRef {
	if !ok {
		return htmlMatrixRef{Kind: "none", Title: escape(h.Address + " · " + port + " · not seen")}
	}
	k := kindOf(c.kind)
	title := h.Address + " · " + port + " · " + k.Label
	if s := c.svc; s != nil {
		title += " · " + strings.Join(s.Protocols, ", ") + " · " + plural(s.Flows, "flow")
	}
	return htmlMatrixRef{Kind: k.Kind, Symbol: k.Symbol, Title: escape(title)}
}

// entryLabel heads an entry's column: "5061/tcp", or "→5081/tcp" for an
// entry the host connects to.
func entryLabel(e analyzer.EntryRef) string {
	l := escape(e.Port + "/" + e.Transport)
	if e.Side == "connect" {
		l = "→" + l
	}
	return l
}

// sortedEntries orders a block's entries: the ports hosts serve, then
// those they connect to, each by port.
func sortedEntries(m map[string]analyzer.EntryRef) []analyzer.EntryRef {
	out := make([]analyzer.EntryRef, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.Side == "connect") != (b.Side == "connect") {
			return b.Side == "connect"
		}
		if pa, pb := firstPort(a.Port), firstPort(b.Port); pa != pb {
			return pa < pb
		}
		if a.Transport != b.Transport {
			return a.Transport < b.Transport
		}
		if a.Table != b.Table {
			return a.Table < b.Table
		}
		return a.Row < b.Row
	})
	return out
}

func sortedExtras(m map[string]extraColumn) []extraColumn {
	out := make([]extraColumn, 0, len(m))
	for _, c := range m {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].port != out[j].port {
			return out[i].port < out[j].port
		}
		return out[i].key < out[j].key
	})
	return out
}

// firstPort returns the first port of "5061" or "49152-65535", or -1.
func firstPort(port string) int {
	n, err := strconv.Atoi(portSort(port))
	if err != nil {
		return -1
	}
	return n
}
