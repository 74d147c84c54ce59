package service

import (
	"context"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"studentaid/model"
)

// Login throttling (docs/security.md): every failed login counts against
// three rows of login_throttle, each in one atomic statement, so parallel
// guesses on any number of instances all count and lock at the threshold.
//
//   - the (account, address) pair locks after MaxFailures for LockDuration:
//     the guesser is stopped, the rightful user elsewhere is not;
//   - the account, from every address, locks after 3×MaxFailures but only
//     for accountLock, so a distributed guesser gets a few guesses a minute
//     and the rightful user waits a minute at worst;
//   - the address, over every account, locks after 5×MaxFailures for
//     LockDuration, which stops one address spraying a password over many
//     names.
//
// Accounts are keyed by a keyed hash of the typed name, so unknown names are
// counted, locked and answered exactly like real ones. Counts fade: a failure
// older than LockDuration starts the count again.
type loginThrottle struct {
	K           string `gorm:"primaryKey;column:k"`
	Failures    int
	LockedUntil *time.Time
	UpdatedAt   time.Time
}

func (loginThrottle) TableName() string { return "login_throttle" }

// accountLock is how long a lock from all addresses together stops an account.
const accountLock = time.Minute

type throttleRule struct {
	key       string
	threshold int
	lock      time.Duration
}

// throttleRules are the rows a login by username from ip counts against,
// in key order, so concurrent failures lock rows in the same order.
func (s *core) throttleRules(username, ip string) []throttleRule {
	acct := s.keys.Lookup("login", strings.ToLower(username))
	rules := []throttleRule{
		{"a:" + acct, 3 * s.opt.MaxFailures, accountLock},
		{"i:" + ip, 5 * s.opt.MaxFailures, s.opt.LockDuration},
		{"p:" + acct + "|" + ip, s.opt.MaxFailures, s.opt.LockDuration},
	}
	slices.SortFunc(rules, func(a, b throttleRule) int { return strings.Compare(a.key, b.key) })
	return rules
}

func ruleKeys(rules []throttleRule) []string {
	keys := make([]string, len(rules))
	for i, r := range rules {
		keys[i] = r.key
	}
	return keys
}

// lockedUntil is the latest lock in force on any of the rows, or nil.
func (s *core) lockedUntil(db *gorm.DB, rules []throttleRule) (*time.Time, error) {
	var rows []loginThrottle
	now := s.now()
	if err := db.Where("k IN ? AND locked_until > ?", ruleKeys(rules), now).Find(&rows).Error; err != nil {
		return nil, err
	}
	var until *time.Time
	for _, r := range rows {
		if until == nil || r.LockedUntil.After(*until) {
			until = r.LockedUntil
		}
	}
	return until, nil
}

// countFailure adds one failure to every row in one statement each and
// returns the pair's count (for the growing delay) and the lock now in force.
func (s *core) countFailure(tx *gorm.DB, rules []throttleRule) (int, *time.Time, error) {
	now := s.now()
	faded := now.Add(-s.opt.LockDuration)
	for _, r := range rules {
		lock := now.Add(r.lock)
		var first *time.Time
		if r.threshold <= 1 {
			first = &lock
		}
		if err := tx.Exec(s.failureUpsert(), r.key, first, now, faded, r.threshold, lock, faded, now).Error; err != nil {
			return 0, nil, err
		}
	}
	var rows []loginThrottle
	if err := tx.Where("k IN ?", ruleKeys(rules)).Find(&rows).Error; err != nil {
		return 0, nil, err
	}
	pair := 0
	var until *time.Time
	for _, r := range rows {
		if strings.HasPrefix(r.K, "p:") {
			pair = r.Failures
		}
		if r.LockedUntil != nil && r.LockedUntil.After(now) && (until == nil || r.LockedUntil.After(*until)) {
			until = r.LockedUntil
		}
	}
	return pair, until, nil
}

// failureUpsert counts one failure and sets the lock from the same row's
// old values. MySQL evaluates SET left to right, so locked_until comes before
// failures and updated_at to read their old values, as SQLite always does.
func (s *core) failureUpsert() string {
	next := func(t string) string {
		return "CASE WHEN " + t + "updated_at < ? THEN 1 ELSE " + t + "failures + 1 END"
	}
	const insert = "INSERT INTO login_throttle (k, failures, locked_until, updated_at) VALUES (?, 1, ?, ?) "
	if s.engine == EngineMySQL {
		return insert + "ON DUPLICATE KEY UPDATE locked_until = CASE WHEN " + next("") +
			" >= ? THEN ? ELSE locked_until END, failures = " + next("") + ", updated_at = ?"
	}
	t := "login_throttle."
	return insert + "ON CONFLICT(k) DO UPDATE SET locked_until = CASE WHEN " + next(t) +
		" >= ? THEN ? ELSE " + t + "locked_until END, failures = " + next(t) + ", updated_at = ?"
}

// clearPair forgets the failures of this account from this address after a
// successful login; the account's and the address's counts fade on their own,
// so a guesser who also knows one password does not get a fresh allowance.
func clearPair(tx *gorm.DB, rules []throttleRule) error {
	for _, r := range rules {
		if strings.HasPrefix(r.key, "p:") {
			return tx.Where("k = ?", r.key).Delete(&loginThrottle{}).Error
		}
	}
	return nil
}

// unlockAccount clears every lock on a username (an admin's unlock).
func (s *core) unlockAccount(tx *gorm.DB, username string) error {
	acct := s.keys.Lookup("login", strings.ToLower(username))
	return tx.Where("k = ? OR k LIKE ?", "a:"+acct, "p:"+acct+"|%").Delete(&loginThrottle{}).Error
}

// LockedUsers tells which of the users are locked now, from everywhere or
// from some address, in one query: locked rows are few.
func (s *Users) LockedUsers(ctx context.Context, users ...model.User) (map[int64]bool, error) {
	var rows []loginThrottle
	if err := s.db.WithContext(ctx).Where("locked_until > ? AND k NOT LIKE ?", s.now(), "i:%").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := map[int64]bool{}
	for _, u := range users {
		acct := s.keys.Lookup("login", strings.ToLower(u.Username))
		for _, r := range rows {
			if r.K == "a:"+acct || strings.HasPrefix(r.K, "p:"+acct+"|") {
				out[u.ID] = true
			}
		}
	}
	return out, nil
}
