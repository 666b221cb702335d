package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/lyncaudit/lyncaudit/analyzer"
	"github.com/spf13/pflag"
)

var mergeCmd = &command{
	name:  "merge",
	usage: "merge [--format FORMAT] [--output FILE] REPORT.json REPORT.json...",
	short: "combine the JSON reports of several sensors into one",
	long: `Merge combines the reports of several sensors (SPAN ports) that watched
the same network at the same time into one report, of the same schema as
analyze --format json, that counts every flow once.

Each report must come from analyze --format json --flows, with the same
inventory: merge works from the flow records. A flow two sensors saw (the
same addresses, ports and transport, first seen within a second) counts
once, with the record that has more packets. Services, findings, servers
outside the inventory and flow totals are computed again from the unique
flows; a catalog entry is missing when it is missing in every report that
lists the host. Frames outside any flow are added up over the sensors; the
timeline is the sensors' added up, less the copies of the flows several
saw. See docs/diff-merge.md.

Exit status: 0 when the reports were combined, 2 on bad usage or a report
that cannot be merged (not a lyncaudit report, no flow records, another
inventory).`,
	setup: func() (*pflag.FlagSet, runFunc) {
		fs := newFlagSet("merge")
		var o mergeOptions
		fs.StringVarP(&o.format, "format", "f", "json", "output format: "+strings.Join(mergeFormats(), ", "))
		fs.StringVarP(&o.output, "output", "o", "", "write the combined report to `FILE` instead of standard output")
		return fs, o.run
	},
}

type mergeOptions struct {
	format string
	output string
}

// mergeFormats lists the report formats, json first.
func mergeFormats() []string {
	fs := []string{"json"}
	for f := range renderers {
		if f != "json" {
			fs = append(fs, f)
		}
	}
	slices.Sort(fs[1:])
	return fs
}

func (o *mergeOptions) run(e *env, args []string) error {
	render, ok := renderers[o.format]
	if !ok {
		return &usageError{fmt.Sprintf("unknown --format %q (want %s)", o.format, strings.Join(mergeFormats(), ", "))}
	}
	if len(args) < 2 {
		return &usageError{"merge takes two or more reports"}
	}
	var inputs []analyzer.ReportFile
	for _, name := range args {
		r, err := parseFile(name, analyzer.ReadReport)
		if err != nil {
			return err
		}
		inputs = append(inputs, analyzer.ReportFile{Name: name, Report: r})
	}
	rep, err := analyzer.Combine(inputs)
	if errors.Is(err, analyzer.ErrNoFlows) {
		return &inputError{fmt.Errorf("%w; merge needs reports written by analyze --format json --flows", err)}
	}
	if err != nil {
		return &inputError{err}
	}
	rep.Generator = "lyncaudit " + version
	return writeOutput(e, o.output, func(w io.Writer) error { return render(e, w, rep) })
}
