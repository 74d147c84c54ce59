package service

import (
	"database/sql"

	"gorm.io/gorm"
)

// Engine is the database engine under the service. What differs between
// SQLite and MySQL is asked of it here, in one place, rather than of the
// dialect's name wherever it matters.
type Engine string

const (
	EngineSQLite Engine = "sqlite"
	EngineMySQL  Engine = "mysql"
)

// EngineOf is the engine db runs on.
func EngineOf(db *gorm.DB) Engine { return Engine(db.Dialector.Name()) }

// oneConnection: SQLite runs on a single connection (its one writer), held
// by an import's transaction until the end, and serves one instance. Work on
// a second connection during a transaction (progress, heartbeats) is skipped
// there, and there is no other instance whose imports could go stale.
func (e Engine) oneConnection() bool { return e == EngineSQLite }

// charLength is the SQL function that counts characters: SQLite's LENGTH
// does, MySQL's counts bytes.
func (e Engine) charLength() string {
	if e == EngineSQLite {
		return "LENGTH"
	}
	return "CHAR_LENGTH"
}

// bulkTxOptions is READ COMMITTED on MySQL, the engine's default elsewhere
// (see bulkTx).
func (e Engine) bulkTxOptions() []*sql.TxOptions {
	if e == EngineMySQL {
		return []*sql.TxOptions{{Isolation: sql.LevelReadCommitted}}
	}
	return nil
}

// loanInsertRows is how many applications (about 45 values each) one INSERT
// of the loan import carries. The SQLite driver's binding cost grows with
// the square of a statement's values, and 20 rows measured fastest there;
// MySQL's grows with the values alone, so each round trip to the server
// (5,000 of them per 100,000 rows at 20) carries as many rows as the
// roster import's (rosterChunk).
func (e Engine) loanInsertRows() int {
	if e == EngineSQLite {
		return 20
	}
	return rosterChunk
}
