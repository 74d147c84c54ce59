package service

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
	"gorm.io/plugin/dbresolver"

	"studentaid/model"
)

// How a read replica is watched. Its lag is the age of the newest heartbeat
// it holds: every instance writes the heartbeat on the primary each
// heartbeatEvery while replicas are configured, so a replica whose SQL
// thread stopped shows a growing age even though nothing is written
// otherwise (Seconds_Behind_Master says NULL then, and needs a privilege).
// The check is one primary-key read per replica per tick, and a read picks a
// replica from the state it left: nothing is asked on the request's path.
const (
	heartbeatEvery   = time.Second
	replicaCheckWait = time.Second // a replica that does not answer by then is down
	defaultMaxLag    = 10 * time.Second
)

// Reasons a read that could go to a replica went to the primary.
const (
	FallbackDown   = "replica_down"   // no replica answered the last check
	FallbackLag    = "replica_lag"    // every answering replica lagged beyond the maximum
	FallbackLedger = "ledger_missing" // the chosen replica did not yet hold the batch's ledger
)

var fallbackReasons = [...]string{FallbackDown, FallbackLag, FallbackLedger}

// replicaName is the dbresolver name of the i-th replica (useReplicas
// registers each under its own name, so a read goes to the one picked).
func replicaName(i int) string { return fmt.Sprintf("replica%d", i) }

type replicaSet struct {
	maxLag time.Duration
	mu     sync.Mutex
	state  []ReplicaState
	next   atomic.Uint64
	reads  []atomic.Int64
	falls  [len(fallbackReasons)]atomic.Int64
	// beatFailing is whether the last heartbeat write failed.
	beatFailing atomic.Bool
}

// ReplicaState is what the last check saw of one replica.
type ReplicaState struct {
	Name      string
	Up        bool
	Lag       time.Duration
	CheckedAt time.Time
	Reads     int64 // reads sent to it by this instance
}

func newReplicaSet(n int, maxLag time.Duration) *replicaSet {
	if maxLag <= 0 {
		maxLag = defaultMaxLag
	}
	r := &replicaSet{maxLag: maxLag, state: make([]ReplicaState, n), reads: make([]atomic.Int64, n)}
	for i := range r.state {
		r.state[i].Name = replicaName(i)
	}
	return r
}

// pick chooses a replica for one read, round robin over those that answered
// and are within the lag; ok is false (and the fallback counted) when the
// read must go to the primary. A nil set has no replicas: not a fallback.
func (r *replicaSet) pick() (string, bool) {
	if r == nil {
		return "", false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.state)
	start := int(r.next.Add(1))
	anyUp := false
	for k := 0; k < n; k++ {
		i := (start + k) % n
		st := r.state[i]
		anyUp = anyUp || st.Up
		if st.Up && st.Lag <= r.maxLag {
			r.reads[i].Add(1)
			return st.Name, true
		}
	}
	if anyUp {
		r.fallback(FallbackLag)
	} else {
		r.fallback(FallbackDown)
	}
	return "", false
}

func (r *replicaSet) fallback(reason string) {
	for i, f := range fallbackReasons {
		if f == reason {
			r.falls[i].Add(1)
		}
	}
}

// set records a check's result and returns the one before.
func (r *replicaSet) set(i int, st ReplicaState) ReplicaState {
	r.mu.Lock()
	defer r.mu.Unlock()
	was := r.state[i]
	st.Name = was.Name
	r.state[i] = st
	return was
}

// watchReplicas writes the heartbeat and checks every replica each tick
// until ctx ends (Close).
func (s *core) watchReplicas(ctx context.Context) {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		s.checkReplicas(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// CheckReplicas writes this instance's heartbeat on the primary and reads
// each replica's newest one. The watcher does it every second; tests call
// it to see a change at once.
func (s *Service) CheckReplicas(ctx context.Context) { s.core.checkReplicas(ctx) }

func (s *core) checkReplicas(ctx context.Context) {
	if s.replicas == nil {
		return
	}
	now := s.now()
	// Failures are logged when they start, not every second.
	err := s.db.WithContext(ctx).Exec("UPDATE replica_heartbeat SET beat_at = ? WHERE id = 1", now).Error
	if failing := err != nil && ctx.Err() == nil; s.replicas.beatFailing.Swap(failing) != failing {
		if failing {
			s.log.Warn("replica heartbeat: cannot write on the primary; replicas will look lagging", "err", err)
		}
	}
	for i := range s.replicas.state {
		st := ReplicaState{CheckedAt: now}
		cctx, cancel := context.WithTimeout(ctx, replicaCheckWait)
		var beat []time.Time
		err := s.db.WithContext(cctx).Clauses(dbresolver.Use(replicaName(i))).
			Raw("SELECT beat_at FROM replica_heartbeat WHERE id = 1").Scan(&beat).Error
		cancel()
		// A replica without the heartbeat row has not replayed migration
		// 0040 yet: it is up, but how far behind is unknown, so too far.
		st.Up = err == nil
		st.Lag = time.Duration(math.MaxInt64)
		if err == nil && len(beat) == 1 {
			st.Lag = max(now.Sub(beat[0]), 0)
		}
		if was := s.replicas.set(i, st); was.Up != st.Up && ctx.Err() == nil {
			s.log.Info("read replica changed", "replica", replicaName(i), "up", st.Up, "err", err)
		}
	}
}

// ReplicaStates reports the replicas as the last check saw them (empty
// without replicas), with the reads each was sent.
func (s *Service) ReplicaStates() []ReplicaState {
	r := s.core.replicas
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]ReplicaState(nil), r.state...)
	for i := range out {
		out[i].Reads = r.reads[i].Load()
	}
	return out
}

// ReplicaFallbacks counts, by reason, the reads this instance sent to the
// primary because no replica could serve them.
func (s *Service) ReplicaFallbacks() map[string]int64 {
	out := map[string]int64{}
	r := s.core.replicas
	if r == nil {
		return out
	}
	for i, f := range fallbackReasons {
		out[f] = r.falls[i].Load()
	}
	return out
}

// ledgerReader is where a batch's ledger is read from: the replica reader()
// picks when it already holds the batch's stored ledger, else the primary.
// The batch row, its lines and its chunks commit in one transaction, so a
// replica that shows the primary's ledger hash holds every chunk: two
// primary-key reads instead of summing the chunks' lengths.
func (s *core) ledgerReader(ctx context.Context, id int64) (*gorm.DB, error) {
	primary := s.db.WithContext(ctx)
	name, ok := s.replicas.pick()
	if !ok {
		return primary, nil
	}
	db := primary.Clauses(dbresolver.Use(name)).Session(&gorm.Session{})
	var want, have []string
	if err := primary.Model(&model.Batch{}).Where("id = ?", id).Pluck("ledger_sha256", &want).Error; err != nil {
		return nil, err
	}
	if err := db.Model(&model.Batch{}).Where("id = ?", id).Pluck("ledger_sha256", &have).Error; err != nil ||
		len(have) != 1 || len(want) != 1 || have[0] != want[0] {
		s.replicas.fallback(FallbackLedger)
		return primary, nil
	}
	return db, nil
}
