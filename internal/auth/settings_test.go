package auth

import (
	"testing"

	"github.com/emedpractice/emp/internal/errs"
)

func TestCheckSetting(t *testing.T) {
	tests := []struct {
		key, value string
		ok         bool
	}{
		{SettingPasswordGrant, "on", true},
		{SettingStandardAPI, "OFF", true},
		{SettingPortalAPI, "maybe", false},
		{SettingAppApproval, "manual", true},
		{SettingAppApproval, "sometimes", false},
		{SettingSiteAddress, "https://ehr.example.org", true},
		{SettingSiteAddress, "http://127.0.0.1:8300", true},
		{SettingSiteAddress, "http://clinic.example", false},
		{SettingSiteAddress, "https://ehr.example.org/?x=1", false},
		{"shoe_size", "42", false},
	}
	for _, tt := range tests {
		err := CheckSetting(tt.key, tt.value)
		if (err == nil) != tt.ok {
			t.Errorf("CheckSetting(%s, %q) = %v, want ok %v", tt.key, tt.value, err, tt.ok)
		}
		if err != nil && errs.KindOf(err) != errs.Invalid {
			t.Errorf("CheckSetting(%s, %q): kind %v, want Invalid", tt.key, tt.value, errs.KindOf(err))
		}
	}
	for _, v := range []string{"on", " YES ", "1", "true"} {
		if !SettingOn(v) {
			t.Errorf("SettingOn(%q) = false", v)
		}
	}
	for _, v := range []string{"", "off", "no", "enabled"} {
		if SettingOn(v) {
			t.Errorf("SettingOn(%q) = true", v)
		}
	}
}
