package server

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/emedpractice/emp/internal/bulk"
	"github.com/emedpractice/emp/internal/store"
)

// Where bulk export files are kept (Config.ExportStore).
const (
	ExportStoreDB  = "db"
	ExportStoreDir = "dir"
)

// resolveExportStore settles where export files go, before anything is
// opened. SQLite keeps them in a directory (beside the database unless
// named). On PostgreSQL every node must be able to serve and delete every
// file, so they go to the database unless the operator declares a
// directory shared by all nodes (ExportStore "dir"); a directory named
// without that declaration is refused rather than silently kept on one
// node's disk.
func resolveExportStore(cfg *Config) error {
	pg := store.IsPostgres(cfg.DB)
	switch cfg.ExportStore {
	case "":
		if pg {
			if cfg.ExportDir != "" {
				return fmt.Errorf("--export-dir on PostgreSQL: every node must serve every export file; " +
					"add --export-store=dir if the directory is shared by all nodes (a shared file system), " +
					"or leave --export-dir out to keep the files in the database")
			}
			cfg.ExportStore = ExportStoreDB
		} else {
			cfg.ExportStore = ExportStoreDir
		}
	case ExportStoreDB:
		if cfg.ExportDir != "" {
			return fmt.Errorf("--export-dir goes with --export-store=dir, not db")
		}
	case ExportStoreDir:
		if pg && cfg.ExportDir == "" {
			return fmt.Errorf("--export-store=dir on PostgreSQL needs --export-dir: the directory every node shares")
		}
	default:
		return fmt.Errorf("--export-store takes %q or %q, got %q", ExportStoreDB, ExportStoreDir, cfg.ExportStore)
	}
	if cfg.ExportStore == ExportStoreDir && cfg.ExportDir == "" {
		cfg.ExportDir = filepath.Join(filepath.Dir(strings.TrimPrefix(cfg.DB, "file:")), "exports")
	}
	return nil
}

// exportFiles is the file store resolveExportStore settled on.
func (a *App) exportFiles() bulk.FileStore {
	if a.cfg.ExportStore == ExportStoreDB {
		return bulk.DBStore{Store: a.Store, Rand: a.cfg.Rand}
	}
	return bulk.DirStore{Dir: a.cfg.ExportDir}
}
