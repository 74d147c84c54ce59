package service

import "time"

// WithClock is the same service, over the same database and keys, reading
// another clock: the demo plays a past term through the service's own
// operations, with each step dated when it would have happened. Close it as
// the original.
func (s *Service) WithClock(now func() time.Time) *Service {
	opt := s.core.opt
	opt.Now = now
	return New(s.core.db, s.core.keys, s.core.log, opt)
}

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.core.now() }
