package service

// Orders the lists can be asked in (the `sort` query parameter): a key, or
// the key with a leading "-" for the other direction. Every order ends on
// the table's id so that pages never overlap or skip a row.

// sortOrder is the ORDER BY for a list's sort key; an unknown key is a
// request the caller can correct (400), never a silent default.
func sortOrder(sorts map[string]string, key string) (string, error) {
	o, ok := sorts[key]
	if !ok {
		return "", invalid("排序方式 %q 无效", truncateRunes(key, 16))
	}
	return o, nil
}

// batchSorts: empty is the newest first.
var batchSorts = map[string]string{
	"":         "created_at DESC, id DESC",
	"created":  "created_at, id",
	"-created": "created_at DESC, id DESC",
	"number":   "number, id",
	"-number":  "number DESC, id DESC",
	"program":  "program, id",
	"-program": "program DESC, id DESC",
	"term":     "term, id",
	"-term":    "term DESC, id DESC",
	"lines":    "line_count, id",
	"-lines":   "line_count DESC, id DESC",
	"amount":   "total_fen, id",
	"-amount":  "total_fen DESC, id DESC",
	"status":   "status, id",
	"-status":  "status DESC, id DESC",
}

const (
	anomalySeverityRank = "CASE an.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END"
	anomalyStatusRank   = "CASE an.status WHEN 'open' THEN 0 WHEN 'explained' THEN 1 ELSE 2 END"
)

// anomalySorts: empty is open findings first, newest first (anomalyOrder).
var anomalySorts = map[string]string{
	"":          anomalyOrder,
	"rule":      "an.rule, an.id",
	"-rule":     "an.rule DESC, an.id DESC",
	"severity":  anomalySeverityRank + ", an.id",
	"-severity": anomalySeverityRank + " DESC, an.id DESC",
	"school":    "sc.name, an.id",
	"-school":   "sc.name DESC, an.id DESC",
	"term":      "an.school_year, an.term, an.id",
	"-term":     "an.school_year DESC, an.term DESC, an.id DESC",
	"seen":      "an.last_seen, an.id",
	"-seen":     "an.last_seen DESC, an.id DESC",
	"status":    anomalyStatusRank + ", an.id",
	"-status":   anomalyStatusRank + " DESC, an.id DESC",
}

// auditSorts: empty is the newest first. Time sorts on id as well as at:
// entries are chained in id order, and two may share a second.
var auditSorts = map[string]string{
	"":        "id DESC",
	"id":      "id",
	"-id":     "id DESC",
	"time":    "at, id",
	"-time":   "at DESC, id DESC",
	"action":  "action, id",
	"-action": "action DESC, id DESC",
	"actor":   "actor_name, id",
	"-actor":  "actor_name DESC, id DESC",
	"entity":  "entity, entity_id, id",
	"-entity": "entity DESC, entity_id DESC, id DESC",
}
