package service_test

import (
	"regexp"
	"testing"

	"studentaid/service"
	"studentaid/service/servicetest"
)

// Galera replicates InnoDB tables by row, certifies writes by primary key and
// refuses or mishandles the rest: every table needs a primary key, InnoDB,
// and no statement that takes a lock only one node knows of.
func TestEveryTableFitsGalera(t *testing.T) {
	for _, d := range servicetest.Drivers(t) {
		t.Run(d, func(t *testing.T) {
			db := servicetest.OpenDB(t, d)
			var noKey, notInnoDB []string
			if d == "mysql" {
				db.Raw(`SELECT t.table_name FROM information_schema.tables t WHERE t.table_schema = DATABASE() AND t.table_type = 'BASE TABLE'
					AND NOT EXISTS (SELECT 1 FROM information_schema.table_constraints c WHERE c.table_schema = t.table_schema
					AND c.table_name = t.table_name AND c.constraint_type = 'PRIMARY KEY')`).Scan(&noKey)
				db.Raw(`SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'
					AND engine <> 'InnoDB'`).Scan(&notInnoDB)
			} else {
				db.Raw(`SELECT name FROM sqlite_master m WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
					AND NOT EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE pk > 0)`).Scan(&noKey)
			}
			if len(noKey) > 0 {
				t.Errorf("tables without a primary key: %v", noKey)
			}
			if len(notInnoDB) > 0 {
				t.Errorf("tables not on InnoDB: %v", notInnoDB)
			}
			var tables int64
			if d == "mysql" {
				db.Raw("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()").Scan(&tables)
			} else {
				db.Raw("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").Scan(&tables)
			}
			if tables < 20 {
				t.Fatalf("only %d tables seen: the query looked in the wrong place", tables)
			}
		})
	}
	refused := regexp.MustCompile(`(?i)LOCK\s+TABLES|GET_LOCK|MyISAM|ENGINE\s*=\s*(MEMORY|Aria|CSV)|CREATE\s+TABLE\s+\S+\s+AS\s+SELECT`)
	for _, m := range service.MigrationTexts("mysql") {
		if loc := refused.FindString(m); loc != "" {
			t.Errorf("a migration uses %q, which Galera does not replicate", loc)
		}
	}
}
