// Command lyncaudit checks packet captures against the port catalog of
// Microsoft Lync Server 2013: per host and role, the traffic the catalog
// expects and saw, the traffic it does not allow, and the catalog services
// that never appeared.
//
// Usage:
//
//	lyncaudit analyze [--inventory FILE] [--format text|json|csv|md] CAPTURE...
//	lyncaudit catalog [--role ROLE] [--format text|json|csv]
//
// Run "lyncaudit help COMMAND" for the flags of a command.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/lyncaudit/lyncaudit/analyzer"
	"github.com/spf13/pflag"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// command is one subcommand: its flags, help texts and run function.
type command struct {
	name  string
	usage string // the line after "lyncaudit "
	short string // one line for the command list
	long  string // paragraphs for "help NAME"
	// setup returns a fresh flag set and the function that runs the
	// command with the options those flags are parsed into.
	setup func() (*pflag.FlagSet, runFunc)
}

// runFunc runs a command with its positional arguments.
type runFunc func(e *env, args []string) error

// commands is the ordered table help prints and dispatch searches.
var commands = []*command{analyzeCmd, liveCmd, rolesCmd, diffCmd, mergeCmd, catalogCmd, versionCmd}

// env is what a command may touch: its streams and the process environment.
// Tests run commands with their own env.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// isTerminal reports whether w is an interactive terminal.
	isTerminal func(w io.Writer) bool
}

// Exit statuses, as the README documents them.
const (
	exitOK       = 0 // nothing reached --fail-on
	exitFindings = 1 // a finding reached --fail-on
	exitInput    = 2 // bad usage or bad input
)

// usageError is a mistake on the command line: status 2 and a pointer to help.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// inputError is bad input (a capture, inventory or catalog that cannot be
// used): status 2.
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// findingsError reports that findings reached --fail-on: status 1, and no
// message (the report says it all).
type findingsError struct{ n int }

func (e *findingsError) Error() string { return fmt.Sprintf("%d findings reached --fail-on", e.n) }

func main() {
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, isTerminal: isTerminal}
	os.Exit(run(e, os.Args[1:]))
}

// run dispatches args to a command and returns the exit status.
func run(e *env, args []string) int {
	if len(args) == 0 {
		printUsage(e.stderr)
		return exitInput
	}
	name := args[0]
	switch name {
	case "help", "-h", "--help":
		return help(e, args[1:])
	}
	cmd := lookup(name)
	if cmd == nil {
		fmt.Fprintf(e.stderr, "lyncaudit: unknown command %q\nRun 'lyncaudit help' for usage.\n", name)
		return exitInput
	}
	fs, runCmd := cmd.setup()
	fs.Usage = func() {}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			printHelp(e.stdout, cmd)
			return exitOK
		}
		fmt.Fprintf(e.stderr, "lyncaudit %s: %v\nRun 'lyncaudit help %s' for usage.\n", cmd.name, err, cmd.name)
		return exitInput
	}
	return status(e, cmd, runCmd(e, fs.Args()))
}

// status prints err as one line and maps it to an exit status.
func status(e *env, cmd *command, err error) int {
	var ue *usageError
	var fe *findingsError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &fe):
		return exitFindings
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "lyncaudit %s: %s\nRun 'lyncaudit help %s' for usage.\n", cmd.name, ue.msg, cmd.name)
		return exitInput
	}
	fmt.Fprintf(e.stderr, "lyncaudit %s: %s\n", cmd.name, oneLine(err.Error()))
	return exitInput
}

// oneLine keeps an error message on one line, whatever it quotes.
func oneLine(s string) string {
	return strings.Join(strings.Fields(escape(s)), " ")
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func help(e *env, args []string) int {
	if len(args) == 0 {
		printUsage(e.stdout)
		return exitOK
	}
	cmd := lookup(args[0])
	if cmd == nil {
		fmt.Fprintf(e.stderr, "lyncaudit help: unknown command %q\nRun 'lyncaudit help' for usage.\n", args[0])
		return exitInput
	}
	printHelp(e.stdout, cmd)
	return exitOK
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, "lyncaudit checks packet captures against the Lync Server 2013 port catalog.\n\nUsage:\n\n\tlyncaudit <command> [flags] [arguments]\n\nCommands:\n\n")
	for _, c := range commands {
		fmt.Fprintf(w, "\t%-10s %s\n", c.name, c.short)
	}
	fmt.Fprint(w, "\nRun 'lyncaudit help <command>' for more about a command.\n")
}

func printHelp(w io.Writer, cmd *command) {
	fmt.Fprintf(w, "usage: lyncaudit %s\n\n%s\n", cmd.usage, strings.TrimSpace(cmd.long))
	fs, _ := cmd.setup()
	if fl := fs.FlagUsages(); fl != "" {
		fmt.Fprintf(w, "\nFlags:\n%s", fl)
	}
}

var versionCmd = &command{
	name:  "version",
	usage: "version",
	short: "print lyncaudit's version and JSON schemas",
	long:  "Version prints the program version and the schema versions of its JSON output: the report (analyze, live, merge), the diff and the inferred roles.",
	setup: func() (*pflag.FlagSet, runFunc) {
		return newFlagSet("version"), func(e *env, args []string) error {
			if len(args) > 0 {
				return &usageError{"version takes no arguments"}
			}
			fmt.Fprintf(e.stdout, "lyncaudit %s (schemas %s, %s, %s)\n", version, analyzer.Schema, analyzer.DiffSchema, analyzer.RolesSchema)
			return nil
		}
	},
}

// newFlagSet returns a flag set that reports errors instead of exiting
// and sorts nothing: flags print in the order they are defined.
func newFlagSet(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	return fs
}
