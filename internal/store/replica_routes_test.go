package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"
)

// readRoutes classifies every function of the store that reads outside a
// write transaction: "replica" when a streaming replica may answer it (a
// read that may be a little behind, still seeing the caller's own writes),
// "primary" when it must see the primary's latest state (token and flow
// state, revocation, settings, keys, jobs, the checks before a write), or
// "both" for the plumbing that uses each. A new read function fails
// TestEveryReadChoosesItsPool until it is listed here: whoever writes it
// has to choose.
var readRoutes = map[string]string{
	// Replica: what clients and the pages read and list.
	// Read goes to a replica only while the read cache (PostgreSQL) is off
	// or not answering; with it on, a miss is read from the primary by
	// readForCache and kept (a replica's value could predate an
	// invalidation already heard).
	"Store.Read":              "replica",
	"Store.ReadVersion":       "replica",
	"Store.search":            "replica",
	"sqlBuilder.count":        "replica",
	"sqlBuilder.countMatches": "replica",
	"sqlBuilder.countRows":    "replica",
	"sqlBuilder.topDates":     "replica",
	"Store.History":           "replica",
	"Store.Everything":        "replica",
	"Store.References":        "replica",
	"Store.ScanExport":        "replica",
	"Store.versionAt":         "replica",
	"Store.ScanDeleted":       "replica",
	"Store.ListAudit":         "replica",
	"Store.Clients":           "replica",
	"Store.GrantsBySubject":   "replica",
	"Store.Users":             "replica",
	"Store.PatientUsers":      "replica",

	// Primary: token and flow state, revocation, sign-in.
	"Store.readForCache":     "primary",
	"Store.Client":           "primary",
	"Store.Code":             "primary",
	"Store.Grant":            "primary",
	"Store.Interaction":      "primary",
	"Store.Launch":           "primary",
	"Store.RefreshToken":     "primary",
	"Store.RevocationEpoch":  "primary",
	"Store.Revoked":          "primary",
	"Store.Session":          "primary",
	"Store.OriginRegistered": "primary",
	"Store.staffUser":        "primary",
	"Store.portalUser":       "primary",
	"Store.throttleRows":     "primary",
	// Primary: settings, keys, jobs, identifiers handed out by writes.
	"Store.Setting":         "primary",
	"Store.SettingsEpoch":   "primary",
	"Store.AuditArchives":   "primary",
	"Store.LoadSigningKeys": "primary",
	"Store.BulkJob":         "primary",
	"Store.BulkFiles":       "primary",
	"Store.BulkBlobOf":      "primary",
	"Store.ReadBulkChunk":   "primary",
	"Store.BulkChunkUsage":  "primary",
	"Store.ExpiredBulkJobs": "primary",
	"Store.MissingBulkJobs": "primary",
	"Store.APINumber":       "primary",
	"Store.APIUUID":         "primary",
	"Store.Count":           "primary",
	// Primary: the checks a write makes before its transaction.
	"Store.head":   "primary",
	"Store.within": "primary",

	// The pools themselves: opening, closing, probing, routing.
	"Open":                 "primary",
	"Store.openPostgres":   "both",
	"Store.openSQLite":     "both",
	"Store.closeDBs":       "both",
	"Store.Ping":           "primary",
	"Store.checkSchema":    "primary",
	"Store.readRow":        "primary",
	"Store.readRowReplica": "both",
	"Store.reader":         "replica",
	"Store.ReplicaStats":   "replica",
	"Store.write":          "replica",
	// Record their writes' commit positions for read-your-writes, as write does.
	"Store.newPgGroup": "replica",
}

// TestEveryReadChoosesItsPool reads the package's source and checks that
// each function reading through the reader pool (s.r, readRow) or the
// replica router (s.replica, readRowReplica, reader) is classified in readRoutes
// with the pool it uses.
func TestEveryReadChoosesItsPool(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range pkgs["store"].Files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			name := fn.Name.Name
			if fn.Recv != nil {
				typ := fn.Recv.List[0].Type
				if st, ok := typ.(*ast.StarExpr); ok {
					typ = st.X
				}
				if id, ok := typ.(*ast.Ident); ok {
					name = id.Name + "." + name
				}
			}
			var primary, replica bool
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				switch sel.Sel.Name {
				case "r", "readRow":
					primary = primary || isStoreExpr(sel.X)
				case "replica", "readRowReplica", "reader":
					replica = replica || isStoreExpr(sel.X)
				}
				return true
			})
			switch {
			case primary && replica:
				got[name] = "both"
			case replica:
				got[name] = "replica"
			case primary:
				got[name] = "primary"
			}
		}
	}
	want := readRoutes
	for _, name := range slices.Sorted(maps.Keys(got)) {
		if want[name] == "" {
			t.Errorf("%s reads through the %s pool but is not classified: add it to readRoutes, replica or primary", name, got[name])
		} else if want[name] != got[name] {
			t.Errorf("%s is classified %q but reads through %q", name, want[name], got[name])
		}
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if got[name] == "" {
			t.Errorf("%s is classified but no longer reads outside a transaction: remove it", name)
		}
	}
}

// isStoreExpr reports an expression naming the store: s, or x.s.
func isStoreExpr(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name == "s"
	case *ast.SelectorExpr:
		return x.Sel.Name == "s"
	}
	return false
}
