package service

import (
	"sync"
	"time"
)

// ttlCache remembers answers this instance got from the database a moment
// ago: verified sessions (Options.SessionCache), list totals and the
// schools lists name (Options.CountCache). Whoever changes what an entry says calls forget, so
// this instance sees its own changes at once; other instances see them when
// their entries run out.
type ttlCache[V any] struct {
	mu sync.Mutex
	m  map[string]cached[V]
}

type cached[V any] struct {
	v  V
	at time.Time // when the database gave the answer
}

// maxCacheEntries bounds a cache; past it the cache starts over, which costs
// one query per key in use.
const maxCacheEntries = 10000

func (c *ttlCache[V]) get(key string, now time.Time, ttl time.Duration) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || ttl <= 0 || now.Sub(e.at) >= ttl || now.Before(e.at) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// put keeps v for ttl; with caching off (ttl 0) it keeps nothing.
func (c *ttlCache[V]) put(key string, v V, now time.Time, ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCacheEntries {
		c.m = map[string]cached[V]{}
	}
	c.m[key] = cached[V]{v: v, at: now}
}

// forget drops every entry: the changes that call it are rare next to the
// reads the cache saves, and dropping all needs no index of keys.
func (c *ttlCache[V]) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}
