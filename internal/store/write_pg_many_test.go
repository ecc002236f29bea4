package store

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
)

// TestCreateManyWritesWhatCreatesAloneWrite: the one statement that writes
// a batch of creates on PostgreSQL (sqlCreateManyPG) leaves exactly the
// rows the one-create statement (sqlCreatePG) leaves for the same creates:
// resources, versions, every index table, compartment and audit rows. The
// creates are US Core's examples, which between them fill every index
// table, and resources with several patients and with none.
func TestCreateManyWritesWhatCreatesAloneWrite(t *testing.T) {
	if os.Getenv("EMP_TEST_POSTGRES") == "" {
		t.Skip("PostgreSQL only: EMP_TEST_POSTGRES is not set")
	}
	ctx := WithRequest(context.Background(), RequestInfo{RequestID: "req-1", Actor: "user-1", ClientID: "client-1", Role: "clinician", Method: "POST", Path: "/fhir/r4"})
	batched := openInternal(t, timeoutDSNs(t)["postgres"])
	alone := openInternal(t, timeoutDSNs(t)["postgres"])

	files, err := filepath.Glob("../fhir/validate/testdata/us-core/*.json")
	if err != nil || len(files) < 20 {
		t.Fatalf("US Core examples: %d files, %v", len(files), err)
	}
	var resources []fhirjson.Object
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var res fhirjson.Object
		if err := json.Unmarshal(raw, &res); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		resources = append(resources, res)
	}
	// The examples have no number to index and no resource in two
	// patients' compartments.
	resources = append(resources,
		fhirjson.Object{"resourceType": "RiskAssessment", "status": "final", "subject": fhirjson.Object{"reference": "Patient/p-a"},
			"prediction": []any{fhirjson.Object{"probabilityDecimal": json.Number("0.42")}}},
		fhirjson.Object{"resourceType": "Observation", "status": "final", "code": fhirjson.Object{"text": "seen by both"},
			"subject": fhirjson.Object{"reference": "Patient/p-a"}, "performer": []any{fhirjson.Object{"reference": "Patient/p-b"}}})
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var args [][]any
	for i, res := range resources {
		rtype, _ := res["resourceType"].(string)
		p, err := prepare(rtype, fmt.Sprintf("ex-%03d", i), 1, at.Add(time.Duration(i)*time.Millisecond), res, batched.local)
		if err != nil {
			t.Fatalf("%s: %v", rtype, err)
		}
		args = append(args, batched.pgCreateArgs(ctx, p, "POST"))
	}
	if _, err := batched.pipelineCreates(ctx, args); err != nil {
		t.Fatalf("batch of %d creates: %v", len(args), err)
	}
	for _, a := range args {
		if _, err := alone.w.ExecContext(ctx, sqlCreatePG, a...); err != nil {
			t.Fatalf("create %s/%s alone: %v", a[0], a[1], err)
		}
	}

	tables := []string{"resources", "resource_versions", "compartment", "audit_log"}
	for _, it := range pgIndexTables {
		name, _ := it.t.copyTarget()
		tables = append(tables, name)
	}
	filled := 0
	for _, table := range tables {
		want, got := tableRows(t, alone, table), tableRows(t, batched, table)
		if len(want) > 0 {
			filled++
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the batch wrote %d rows, alone %d; first difference: %s", table, len(got), len(want), firstDiff(got, want))
		}
	}
	if filled != len(tables) {
		t.Errorf("the examples filled %d of the %d tables; the test needs creates that fill each", filled, len(tables))
	}
	var multi int
	if err := batched.r.QueryRow(`SELECT count(*) FROM (SELECT rid FROM compartment GROUP BY rid HAVING count(*) > 1) m`).Scan(&multi); err != nil || multi == 0 {
		t.Errorf("no create with several patients among the examples (%d, %v)", multi, err)
	}
}

// tableRows reads a table's rows as text, the rid replaced by its
// resource's type and id (rids are drawn from each database's sequence)
// and the audit row's sequence number left out, sorted.
func tableRows(t *testing.T, s *Store, table string) []string {
	t.Helper()
	q := fmt.Sprintf(`SELECT r.type || '/' || r.id, to_jsonb(x) - 'rid' - 'seq' FROM %s x JOIN resources r ON r.rid = x.rid`, table)
	switch table {
	case "resources":
		q = `SELECT type || '/' || id, to_jsonb(x) - 'rid' FROM resources x`
	case "audit_log":
		q = `SELECT type || '/' || res_id, to_jsonb(x) - 'seq' FROM audit_log x`
	}
	rows, err := s.r.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var key, row string
		if err := rows.Scan(&key, &row); err != nil {
			t.Fatal(err)
		}
		out = append(out, key+" "+row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func firstDiff(got, want []string) string {
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			return fmt.Sprintf("batch %q, alone %q", strings.TrimSpace(g), strings.TrimSpace(w))
		}
	}
	return "none"
}
