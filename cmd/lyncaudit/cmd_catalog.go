package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lyncaudit/lyncaudit/rules"
	"github.com/spf13/pflag"
)

// catalogSchema versions the JSON form of the catalog.
const catalogSchema = "lyncaudit.catalog/1"

var catalogCmd = &command{
	name:  "catalog",
	usage: "catalog [--role ROLE] [--format text|json|csv] [--catalog FILE]...",
	short: "print the port catalog lyncaudit judges against",
	long: `Catalog prints the port catalog: every row of the four tables of
"Ports and protocols for internal servers in Lync Server 2013" (required
server ports by role, hardware load balancer ports with hardware or DNS load
balancing, required client ports), one entry per source row, with the table
and row it came from.

--catalog FILE adds entries, or replaces the built-in entry with the same
table and row, in the format of the built-in data file (print it with
--format catalog). --role shows only the entries that apply to a host with
that role (repeat it for a host with several roles).

Role ids: ` + roleIDList(),
	setup: func() (*pflag.FlagSet, runFunc) {
		fs := newFlagSet("catalog")
		var o catalogOptions
		fs.StringSliceVar(&o.roles, "role", nil, "show the entries for a host with this role (repeatable)")
		fs.StringVarP(&o.format, "format", "f", "text", "output format: text, json, csv or catalog (the data-file format)")
		fs.StringArrayVar(&o.catalogs, "catalog", nil, "add or override catalog entries from `FILE` (repeatable)")
		fs.StringVarP(&o.output, "output", "o", "", "write to `FILE` instead of standard output")
		return fs, o.run
	},
}

type catalogOptions struct {
	roles    []string
	format   string
	catalogs []string
	output   string
}

func (o *catalogOptions) run(e *env, args []string) error {
	if len(args) > 0 {
		return &usageError{"catalog takes no arguments"}
	}
	render, ok := map[string]func(*env, io.Writer, []*rules.Entry) error{
		"text": renderCatalogText, "json": renderCatalogJSON, "csv": renderCatalogCSV, "catalog": renderCatalogData,
	}[o.format]
	if !ok {
		return &usageError{fmt.Sprintf("unknown --format %q (want text, json, csv or catalog)", o.format)}
	}
	cat, err := loadCatalog(o.catalogs)
	if err != nil {
		return err
	}
	entries := cat.Entries
	if len(o.roles) > 0 {
		rs, err := parseRoles(o.roles)
		if err != nil {
			return err
		}
		entries = cat.ForRoles(rs)
	}
	return writeOutput(e, o.output, func(w io.Writer) error { return render(e, w, entries) })
}

// loadCatalog returns the built-in catalog with each file merged over it.
func loadCatalog(files []string) (*rules.Catalog, error) {
	cat := rules.Builtin()
	for _, name := range files {
		over, err := parseFile(name, rules.ParseCatalog)
		if err != nil {
			return nil, err
		}
		cat = cat.Merge(over)
	}
	return cat, nil
}

func parseRoles(ids []string) (rules.RoleSet, error) {
	var rs rules.RoleSet
	for _, id := range ids {
		r, ok := rules.ParseRole(strings.TrimSpace(id))
		if !ok {
			return 0, &usageError{fmt.Sprintf("unknown role %q (want one of: %s)", id, roleIDList())}
		}
		rs = rs.With(r)
	}
	return rs, nil
}

func roleIDList() string {
	var ids []string
	for _, r := range rules.AllRoles() {
		ids = append(ids, r.String())
	}
	return strings.Join(ids, ", ")
}

func renderCatalogText(e *env, w io.Writer, entries []*rules.Entry) error {
	st := newStyles(e, w)
	var b strings.Builder
	tableName := ""
	var rows [][]string
	flush := func() {
		if len(rows) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s\n%s\n", st.section.Render(tableTitle(tableName)), plainTable(st, []string{"REF", "ROLES", "PORT", "TRANSPORT", "SIDE", "PROTOCOL", "SERVICE"}, rows, nil))
		rows = nil
	}
	for _, en := range entries {
		if en.Table != tableName {
			flush()
			tableName = en.Table
		}
		rows = append(rows, []string{en.Ref(), en.Roles.String(), portText(en), en.Transports.String(), en.Side.String(), en.Protocol, en.Service})
	}
	flush()
	fmt.Fprintf(&b, "%s\n", st.dim.Render(strconv.Itoa(len(entries))+" entries"))
	_, err := io.WriteString(w, b.String())
	return err
}

// portText shows the port as published when that says more ("67/68").
func portText(en *rules.Entry) string {
	if en.PublishedPort != "" {
		return en.PublishedPort
	}
	return en.PortText()
}

func tableTitle(name string) string {
	switch name {
	case "server_ports":
		return "Required server ports (by server role) — server_ports"
	case "hlb_only":
		return "Hardware load balancer ports, hardware load balancing only — hlb_only"
	case "hlb_dns":
		return "Hardware load balancer ports with DNS load balancing — hlb_dns"
	case "client_ports":
		return "Required client ports — client_ports"
	}
	return name
}

type catalogJSON struct {
	Schema  string       `json:"schema"`
	Entries []entryJSON  `json:"entries"`
	Tables  []tableCount `json:"tables"`
}

type tableCount struct {
	Table string `json:"table"`
	Rows  int    `json:"rows"`
}

type entryJSON struct {
	Ref           string   `json:"ref"`
	Table         string   `json:"table"`
	Row           int      `json:"row"`
	Line          string   `json:"defined_at"`
	Source        string   `json:"source_role"`
	Roles         string   `json:"roles"`
	Service       string   `json:"service"`
	Port          string   `json:"port"`
	PortLow       uint16   `json:"port_low"`
	PortHigh      uint16   `json:"port_high"`
	PublishedPort string   `json:"published_port,omitempty"`
	From          uint16   `json:"from_port,omitempty"`
	Transport     string   `json:"transport"`
	Side          string   `json:"side"`
	Protocol      string   `json:"protocol"`
	Expect        []string `json:"expect"`
	MTLS          string   `json:"mtls"` // "no", "yes" or "servers" (only between servers)
	Media         bool     `json:"media"`
	Empty         bool     `json:"empty"`
	About         string   `json:"about"`
}

func toEntryJSON(en *rules.Entry) entryJSON {
	j := entryJSON{
		Ref: en.Ref(), Table: en.Table, Row: en.Row, Line: en.Pos.String(), Source: en.Source,
		Roles: en.Roles.String(), Service: en.Service, Port: en.PortText(), PortLow: en.Low, PortHigh: en.High,
		PublishedPort: en.PublishedPort, From: en.From, Transport: en.Transports.String(), Side: en.Side.String(),
		Protocol: en.Protocol, Expect: []string{}, MTLS: en.MTLS.String(), Media: en.Media, Empty: en.Empty(), About: en.About,
	}
	for _, p := range en.Expect {
		j.Expect = append(j.Expect, p.String())
	}
	return j
}

func renderCatalogJSON(_ *env, w io.Writer, entries []*rules.Entry) error {
	out := catalogJSON{Schema: catalogSchema, Entries: []entryJSON{}, Tables: []tableCount{}}
	for _, en := range entries {
		out.Entries = append(out.Entries, toEntryJSON(en))
		if n := len(out.Tables); n == 0 || out.Tables[n-1].Table != en.Table {
			out.Tables = append(out.Tables, tableCount{Table: en.Table})
		}
		out.Tables[len(out.Tables)-1].Rows++
	}
	return renderJSON(nil, w, out)
}

func renderCatalogCSV(_ *env, w io.Writer, entries []*rules.Entry) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"ref", "table", "row", "source_role", "roles", "service", "port_low", "port_high", "published_port", "from_port", "transport", "side", "protocol", "expect", "mtls", "media", "about"})
	for _, en := range entries {
		j := toEntryJSON(en)
		cw.Write([]string{j.Ref, j.Table, strconv.Itoa(j.Row), j.Source, j.Roles, j.Service,
			portNum(j.PortLow, j.Empty), portNum(j.PortHigh, j.Empty), j.PublishedPort, portNum(j.From, j.From == 0),
			j.Transport, j.Side, j.Protocol, strings.Join(j.Expect, " "), j.MTLS, strconv.FormatBool(j.Media), j.About})
	}
	cw.Flush()
	return cw.Error()
}

func portNum(p uint16, blank bool) string {
	if blank {
		return ""
	}
	return strconv.Itoa(int(p))
}

func renderCatalogData(_ *env, w io.Writer, entries []*rules.Entry) error {
	c := &rules.Catalog{Entries: entries}
	_, err := c.WriteTo(w)
	return err
}
