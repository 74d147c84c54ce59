// Package sim holds the invariant simulator: seeded random terms of roster
// uploads, standards, approvals, batches, bank results, account changes and
// recoveries played through the real HTTP API, checked after every step
// against an oracle computed from the events alone. It has only tests.
package sim
