package server

import (
	"context"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/errs"
)

// The site settings the wiring reads (see auth's site settings): which JSON
// faces answer, whether the API log keeps bodies, and the site address.
const (
	SettingStandardAPI = auth.SettingStandardAPI
	SettingPortalAPI   = auth.SettingPortalAPI
	SettingAPILog      = auth.SettingAPILog
	SettingSiteAddress = auth.SettingSiteAddress
)

// SettingServedBase holds the base URL emp serve last served under. It is
// not a site setting (an operator does not set it): it tells the commands
// that run beside the server which issuer and audience it expects.
const SettingServedBase = "served_base_url"

// RecordServedBase records the base URL a starting server serves under.
func (a *App) RecordServedBase(ctx context.Context) error {
	return a.Store.SetSetting(ctx, SettingServedBase, a.BaseURL)
}

// SettingOn reports whether a switch setting is on. An unset switch is off;
// a database error counts as off, so a face fails closed. The JSON faces
// ask it on every request, so it reads through the settings cache.
func (a *App) SettingOn(ctx context.Context, key string) bool {
	v, err := a.Settings.Setting(ctx, key)
	if err != nil {
		if errs.KindOf(err) != errs.NotFound {
			a.cfg.Logger.Error("read setting", "key", key, "err", err)
		}
		return false
	}
	return auth.SettingOn(v)
}
