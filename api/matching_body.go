package api

import (
	"time"

	"studentaid/model"
	"studentaid/service"
)

// The response bodies of the anomaly scan and the matching, mapped from the
// service's results so that renaming a service field never renames a JSON
// field (API.md is the contract).

type scanBody struct {
	DryRun     bool             `json:"dry_run"`
	At         time.Time        `json:"at"`
	Found      int              `json:"found"`
	Opened     int              `json:"opened"`
	Resolved   int              `json:"resolved"`
	ByRule     map[string]int   `json:"by_rule"`
	Millis     int64            `json:"ms"`
	StepMillis map[string]int64 `json:"step_ms"`
}

func scanOf(r service.ScanResult) scanBody {
	return scanBody{DryRun: r.DryRun, At: r.At, Found: r.Found, Opened: r.Opened, Resolved: r.Resolved, ByRule: r.ByRule,
		Millis: r.Millis, StepMillis: r.StepMillis}
}

type pendingAidBody struct {
	EntitlementID int64     `json:"entitlement_id"`
	Program       string    `json:"program"`
	Term          string    `json:"term"`
	Status        string    `json:"status"`
	AmountFen     model.Fen `json:"amount_fen"`
	SchoolID      int64     `json:"school_id"`
}

func pendingAidOf(in []service.PendingAid) []pendingAidBody {
	if in == nil {
		return nil
	}
	out := make([]pendingAidBody, len(in))
	for i, p := range in {
		out[i] = pendingAidBody{EntitlementID: p.EntitlementID, Program: p.Program, Term: p.Term, Status: p.Status,
			AmountFen: p.AmountFen, SchoolID: p.SchoolID}
	}
	return out
}

type matchRowErrorBody struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Value   string `json:"value"` // masked
	Message string `json:"message"`
}

func matchRowErrorsOf(in []service.MatchRowError) []matchRowErrorBody {
	if in == nil {
		return nil
	}
	out := make([]matchRowErrorBody, len(in))
	for i, e := range in {
		out[i] = matchRowErrorBody{Row: e.Row, Column: e.Column, Value: e.Value, Message: e.Message}
	}
	return out
}
