package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `emp — the eMedicalPractice EHR API server

Usage:
  emp serve   [--addr 127.0.0.1:8300] [--db ./emp-data/emp.db] [--base-url URL] [--demo] [--tls self-signed | --tls-cert F --tls-key F] [--export-store db|dir] [--export-dir DIR] [--audit-archive-dir DIR]
  emp migrate [--db …]
  emp seed    [--db …] [--patients 50] [--seed 1]
  emp token   [--db …] --scope "system/*.rs" [--patient ID] [--ttl 10m] [--subject S] [--client C]
  emp user add --username U --password P --role admin|clinician|front-office [--practitioner ID]
  emp user add-patient --patient ID --username U --password P [--email E]
  emp user password --username U --password P [--patient-user]
  emp client add --name N --type public|confidential --redirect-uri URI … --scope "…" [--jwks-uri URL | --jwks-file F] [--launch-uri URI]
  emp client list | approve ID | disable ID
  emp settings list | get KEY | set KEY=VALUE …
  emp launch --client C --patient P [--encounter E]
  emp export  --out DIR [--type Patient,Observation] [--since 2026-01-01T00:00:00Z] [--type-filter "Observation?category=laboratory"]
  emp import  [--db …] PATH…   (files or folders of transaction, batch or collection Bundles and NDJSON)
  emp audit   [--user U] [--client C] [--patient P] [--path /api/] [--status 403] [--since 2026-01-01] [--limit 50] [--ndjson]
  emp audit archive --before 2026-01 --audit-archive-dir DIR   (whole months to NDJSON files, then out of the database)
  emp audit restore [--db …] FILE.ndjson…
  emp version

Every flag can also be set by an environment variable: --db is EMP_DB, --base-url is EMP_BASE_URL, and so on.
Flags go before or after a command's arguments; after "--" everything is an argument.
emp token, emp launch and the other commands beside a server use the base URL emp serve last
served under, unless given --addr or --base-url.
Run "emp COMMAND -h" for the flags of a command.
`

// run is the whole program: it parses args, reads configuration through
// getenv, and writes only to stdout and stderr, so tests can run it in
// process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	err := dispatch(ctx, args, getenv, stdout, stderr)
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

func dispatch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout, stderr)
	case "seed":
		return runSeed(ctx, rest, getenv, stdout, stderr)
	case "token":
		return runToken(ctx, rest, getenv, stdout, stderr)
	case "user":
		return runUser(ctx, rest, getenv, stdout, stderr)
	case "client":
		return runClient(ctx, rest, getenv, stdout, stderr)
	case "settings":
		return runSettings(ctx, rest, getenv, stdout, stderr)
	case "launch":
		return runLaunch(ctx, rest, getenv, stdout, stderr)
	case "audit":
		return runAudit(ctx, rest, getenv, stdout, stderr)
	case "export":
		return runExport(ctx, rest, getenv, stdout, stderr)
	case "import":
		return runImport(ctx, rest, getenv, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "emp", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// flagSet makes a FlagSet whose flags default to EMP_* environment
// variables: --base-url reads EMP_BASE_URL.
type flagSet struct {
	*flag.FlagSet
	getenv func(string) string
}

func newFlagSet(name string, getenv func(string) string, stderr io.Writer) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return &flagSet{FlagSet: fs, getenv: getenv}
}

func envName(flagName string) string {
	return "EMP_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (f *flagSet) String(name, def, help string) *string {
	if v := f.getenv(envName(name)); v != "" {
		def = v
	}
	return f.FlagSet.String(name, def, help+" (env "+envName(name)+")")
}

func (f *flagSet) Bool(name string, def bool, help string) *bool {
	switch strings.ToLower(f.getenv(envName(name))) {
	case "1", "true", "yes", "on":
		def = true
	case "0", "false", "no", "off":
		def = false
	}
	return f.FlagSet.Bool(name, def, help+" (env "+envName(name)+")")
}

func (f *flagSet) Int(name string, def int, help string) *int {
	if v := f.getenv(envName(name)); v != "" {
		var n int
		if _, err := fmt.Sscan(v, &n); err == nil {
			def = n
		}
	}
	return f.FlagSet.Int(name, def, help+" (env "+envName(name)+")")
}

// parse parses args, a command that takes no arguments; -h is not an error.
func (f *flagSet) parse(args []string) error {
	rest, err := f.parseArgs(args)
	if err == nil && len(rest) > 0 {
		return fmt.Errorf("unexpected argument %q", rest[0])
	}
	return err
}

// parseArgs parses args, flags and arguments in any order, and returns the
// arguments: "emp settings set --db X k=v" and "emp settings set k=v --db X"
// mean the same. The flag package stops at the first argument; parseArgs
// sets it aside and goes on. After "--" everything is an argument.
func (f *flagSet) parseArgs(args []string) ([]string, error) {
	var rest []string
	for {
		err := f.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		if err != nil {
			return nil, err
		}
		left := f.Args()
		if len(left) == 0 {
			return rest, nil
		}
		if used := args[:len(args)-len(left)]; len(used) > 0 && used[len(used)-1] == "--" {
			return append(rest, left...), nil
		}
		rest, args = append(rest, left[0]), left[1:]
	}
}

// isFlag reports whether arg names one of f's flags (or asks for help), so
// that an argument that merely begins with "-" can be told from a flag.
func (f *flagSet) isFlag(arg string) bool {
	name, ok := strings.CutPrefix(arg, "-")
	if !ok {
		return false
	}
	name = strings.TrimPrefix(name, "-")
	name, _, _ = strings.Cut(name, "=")
	return name == "h" || name == "help" || f.Lookup(name) != nil
}

// given reports whether the operator set a flag, on the command line or
// through its environment variable; only after parsing.
func (f *flagSet) given(name string) bool {
	if f.getenv(envName(name)) != "" {
		return true
	}
	set := false
	f.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}

var errHelp = errors.New("help requested")

const defaultDB = "./emp-data/emp.db"

func sortStrings(s []string) []string {
	sort.Strings(s)
	return s
}
