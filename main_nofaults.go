//go:build !faults

package main

import "log/slog"

// faultHook: the release build has no fault points; STUDENTAID_FAULT is not
// even read (see main_faults.go for the fault-test build).
func faultHook(*slog.Logger) (func(point string) error, error) { return nil, nil }
