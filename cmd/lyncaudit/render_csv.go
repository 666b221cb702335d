package main

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/lyncaudit/lyncaudit/analyzer"
)

// csvServiceHeader is the header of the CSV report: one row per service a
// host served, catalog connect entry it used, unanswered attempt, or
// missing entry.
var csvServiceHeader = []string{"host", "name", "roles", "row_kind", "verdict", "port", "transport", "protocols",
	"flows", "packets", "bytes", "peers", "first_seen", "last_seen", "catalog", "example"}

// csvFlowHeader is the header of the CSV report with --flows: one row per flow.
var csvFlowHeader = []string{"client", "client_port", "server", "server_port", "transport", "protocol", "confidence",
	"verdict", "catalog", "server_by", "end", "packets", "bytes", "packets_to_server", "packets_to_client",
	"bytes_to_server", "bytes_to_client", "first_seen", "last_seen"}

// renderCSV writes one row per service and missing entry, or with --flows
// one row per flow, for spreadsheets.
func renderCSV(_ *env, w io.Writer, r *analyzer.Report) error {
	cw := csv.NewWriter(w)
	if r.Flows != nil {
		writeFlowCSV(cw, r.Flows)
	} else {
		writeServiceCSV(cw, r.Hosts)
	}
	cw.Flush()
	return cw.Error()
}

func writeServiceCSV(cw *csv.Writer, hosts []analyzer.HostReport) {
	cw.Write(csvServiceHeader)
	for _, h := range hosts {
		head := []string{h.Address, h.Name, strings.Join(h.Roles, " ")}
		row := func(kind, verdict string, s analyzer.Service) {
			cw.Write(append(head[:3:3], kind, verdict, s.PortText(), s.Transport, strings.Join(s.Protocols, " "),
				u64(s.Flows), u64(s.Packets), u64(s.Bytes), strconv.Itoa(s.Peers), stamp(s.FirstSeen), stamp(s.LastSeen),
				refs(s.Catalog), exampleText(s.Example)))
		}
		for _, s := range h.Services {
			row("serves", s.Verdict, s)
		}
		for _, s := range h.Connects {
			row("connects", "expected", s)
		}
		for _, s := range h.Attempts {
			row("attempt", "unanswered", s)
		}
		for _, m := range h.Missing {
			cw.Write(append(head[:3:3], m.Side, "missing", m.Port, m.Transport, m.Protocol, "0", "0", "0", "0", "", "", m.Ref, ""))
		}
	}
}

func writeFlowCSV(cw *csv.Writer, flows []analyzer.FlowRecord) {
	cw.Write(csvFlowHeader)
	for _, f := range flows {
		cw.Write([]string{f.Client, strconv.Itoa(int(f.ClientPort)), f.Server, strconv.Itoa(int(f.ServerPort)), f.Transport,
			f.Protocol, f.Confidence, f.Verdict, strings.Join(f.Catalog, " "), f.ServerBy, f.End, u64(f.Packets), u64(f.Bytes),
			u64(f.PacketsToServer), u64(f.PacketsToClient), u64(f.BytesToServer), u64(f.BytesToClient), stamp(f.FirstSeen), stamp(f.LastSeen)})
	}
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }

func refs(es []analyzer.EntryRef) string {
	rs := make([]string, len(es))
	for i, e := range es {
		rs[i] = e.Ref
	}
	return strings.Join(rs, " ")
}

func exampleText(f analyzer.FlowRef) string {
	if f.Client == "" {
		return ""
	}
	return f.Client + ":" + strconv.Itoa(int(f.ClientPort)) + " -> " + f.Server + ":" + strconv.Itoa(int(f.ServerPort)) + "/" + f.Transport
}
