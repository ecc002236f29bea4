package server

import (
	"context"
	"net/url"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/httpx"
)

// Site settings kept in the database (`emp settings set KEY=VALUE`, the
// admin pages). The authorization server reads its own (password_grant,
// app_approval) from the same table.
const (
	SettingStandardAPI = "standard_api" // the /api/ face is on
	SettingPortalAPI   = "portal_api"   // the /portal/ face is on
	SettingAPILog      = "api_log"      // also log request and response bodies
	SettingSiteAddress = "site_address" // the public base URL, when --base-url is not given
)

// KnownSettings lists every setting with the values it takes; `emp settings
// set` refuses anything else.
var KnownSettings = map[string]string{
	SettingStandardAPI: "on|off",
	SettingPortalAPI:   "on|off",
	SettingAPILog:      "off|on (request and response bodies)",
	SettingSiteAddress: "an absolute https URL (or http on loopback)",
	"password_grant":   "on|off",
	"app_approval":     "auto|manual",
}

// SettingOn reports whether a switch setting is on. An unset switch is off;
// a database error counts as off, so a face fails closed.
func (a *App) SettingOn(ctx context.Context, key string) bool {
	v, err := a.AuthStore.Setting(ctx, key)
	if err != nil {
		if errs.KindOf(err) != errs.NotFound {
			a.cfg.Logger.Error("read setting", "key", key, "err", err)
		}
		return false
	}
	return isOn(v)
}

func isOn(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "1", "true", "yes":
		return true
	}
	return false
}

// CheckSetting validates a value for a known setting.
func CheckSetting(key, value string) error {
	switch key {
	case SettingStandardAPI, SettingPortalAPI, SettingAPILog, "password_grant":
		switch strings.ToLower(value) {
		case "on", "off", "1", "0", "true", "false", "yes", "no":
			return nil
		}
		return errs.Field(key, "must be on or off, got %q", value)
	case "app_approval":
		if value == "auto" || value == "manual" {
			return nil
		}
		return errs.Field(key, "must be auto or manual, got %q", value)
	case SettingSiteAddress:
		if _, err := baseURL(Config{BaseURL: value}); err != nil {
			return errs.Field(key, "must be an absolute http(s) URL without query or fragment")
		}
		if !strings.HasPrefix(value, "https://") && !isLoopbackURL(value) {
			return errs.Field(key, "must be https, or http on a loopback address")
		}
		return nil
	}
	return errs.Field(key, "unknown setting (known: standard_api, portal_api, api_log, password_grant, app_approval, site_address)")
}

func isLoopbackURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && httpx.IsLoopback(u.Host)
}
