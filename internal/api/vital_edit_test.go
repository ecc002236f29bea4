package api_test

import (
	"fmt"
	"github.com/emedpractice/emp/internal/api"
	"testing"
)

// TestVitalEdits: a set is edited field group by field group through PUT,
// each step on the result of the last: a blood pressure component removed,
// the panel cancelled with its last one and created again, the
// temperature's method cleared and the temperature cancelled, a BMI created
// with its status and the status changed, a new sign with the note and the
// date, and a sign cancelled. What is read back after each step is the set
// as edited.
func TestVitalEdits(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		f := newFixture(t, e)
		coll := fmt.Sprintf("/api/patient/%d/encounter/%d/vital", f.pid, f.eid)
		var created api.VitalCreated
		e.must(201, "POST", coll, e.staff, map[string]any{"bps": "120", "bpd": "80", "weight": "150", "temperature": "98.6",
			"temp_method": "Oral", "note": "at rest", "date": "2024-01-02 10:05:00"}).into(t, &created)
		path := coll + "/" + created.UUID
		steps := []struct {
			name string
			put  map[string]any
			want map[string]any
		}{
			{"systolic removed", map[string]any{"bps": ""}, map[string]any{"bps": "", "bpd": "80"}},
			{"last component removed", map[string]any{"bpd": ""}, map[string]any{"bps": "", "bpd": ""}},
			{"blood pressure again", map[string]any{"bps": "118", "bpd": "76"}, map[string]any{"bps": "118", "bpd": "76"}},
			{"method cleared", map[string]any{"temp_method": ""}, map[string]any{"temperature": "98.6", "temp_method": ""}},
			{"method set", map[string]any{"temp_method": "Tympanic"}, map[string]any{"temperature": "98.6", "temp_method": "Tympanic"}},
			{"temperature cancelled", map[string]any{"temperature": ""}, map[string]any{"temperature": ""}},
			{"new sign with a method", map[string]any{"temperature": "99.1", "temp_method": "Oral"}, map[string]any{"temperature": "99.1", "temp_method": "Oral"}},
			{"BMI with its status", map[string]any{"BMI": "22.1", "BMI_status": "Normal"}, map[string]any{"BMI": "22.1", "BMI_status": "Normal"}},
			{"BMI status changed", map[string]any{"BMI_status": "Overweight"}, map[string]any{"BMI": "22.1", "BMI_status": "Overweight"}},
			{"pulse, note and date", map[string]any{"pulse": "70", "note": "after a walk", "date": "2024-01-02 11:00:00"},
				map[string]any{"pulse": "70", "note": "after a walk", "date": "2024-01-02 11:00:00", "weight": "150", "bps": "118"}},
			{"weight cancelled", map[string]any{"weight": ""}, map[string]any{"weight": "", "pulse": "70"}},
		}
		for _, st := range steps {
			e.must(200, "PUT", path, e.staff, st.put)
			got := record(t, e.must(200, "GET", path, e.staff, nil))
			checkFields(t, st.name, got, st.want)
		}
	})
}
