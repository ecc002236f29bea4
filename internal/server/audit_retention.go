package server

import (
	"context"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/errs"
)

// SettingAuditRetention is the site setting of how many months of audit
// log the database keeps (auth.SettingAuditRetention).
const SettingAuditRetention = auth.SettingAuditRetention

// auditEvery is how often a serving node prepares the audit log's coming
// partitions and applies the retention.
const auditEvery = time.Hour

// auditLoop runs RunAuditMaintenance at start and then every auditEvery.
func (a *App) auditLoop(ctx context.Context) {
	t := time.NewTicker(auditEvery)
	defer t.Stop()
	for {
		if err := a.RunAuditMaintenance(ctx); err != nil && ctx.Err() == nil {
			a.cfg.Logger.Error("audit log maintenance", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunAuditMaintenance makes the audit log's partitions for this month and
// the next (PostgreSQL), then applies the retention setting: the months
// older than it are archived to the archive directory and removed. A
// retention set without an archive directory is refused with the reason;
// another node archiving at the moment is not an error (it does the work).
func (a *App) RunAuditMaintenance(ctx context.Context) error {
	if err := a.Store.EnsureAuditPartitions(ctx); err != nil {
		return err
	}
	months, err := a.AuditRetention(ctx)
	if err != nil || months == 0 {
		return err
	}
	done, err := a.Store.RetainAudit(ctx, months, a.cfg.AuditArchiveDir)
	if errs.KindOf(err) == errs.Conflict {
		a.cfg.Logger.Info("audit retention: another node is archiving", "detail", err.Error())
		return nil
	}
	for _, m := range done {
		a.cfg.Logger.Info("audit retention: month archived and removed", "month", m.Month, "file", m.File, "rows", m.Rows)
	}
	return err
}

// AuditRetention reads the retention setting in months (0: keep
// everything). An unreadable value keeps everything and is reported.
func (a *App) AuditRetention(ctx context.Context) (int, error) {
	v, err := a.Store.Setting(ctx, SettingAuditRetention)
	if errs.KindOf(err) == errs.NotFound {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, e := auth.AuditRetentionMonths(v)
	if e != nil {
		return 0, e
	}
	return n, nil
}

// AuditRetentionProblem says why the retention setting cannot run on this
// node (it is set but no archive directory is configured), or "".
func (a *App) AuditRetentionProblem(ctx context.Context) string {
	n, err := a.AuditRetention(ctx)
	if err != nil || n == 0 || a.cfg.AuditArchiveDir != "" {
		return ""
	}
	return "audit_retention_months is set, but this server has no archive directory (--audit-archive-dir): no audit month is archived or removed until one is configured"
}
