package service

import (
	"context"
	"fmt"
	"slices"

	"studentaid/model"
)

// DuplicateIdentities is what `migrate` writes into its log after bringing
// the schema up to date (POLICY.md "One person, one record"): one line per
// person held in more than one record. It reads only; the anomaly scan
// records them as duplicate_identity, and nobody's records are merged.
func (s *Anomalies) DuplicateIdentities(ctx context.Context) ([]string, error) {
	sc := &anomalyScan{db: s.db.WithContext(ctx), keys: s.keys, now: s.now()}
	if err := sc.loadSchools(); err != nil {
		return nil, err
	}
	if err := sc.duplicateIdentities(); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(sc.found))
	for _, f := range sc.found {
		out = append(out, fmt.Sprintf("%s（档案编号 %v）", f.summary, f.details["student_ids"]))
	}
	return out, nil
}

// duplicateIdentities reports records that are one person: a resident ID
// filed under another document type (before rosters corrected the type)
// beside the record that holds it as 居民身份证, or several such records.
// They are reported, never merged: either may have been paid, and which
// payments stand is for the county to decide.
func (sc *anomalyScan) duplicateIdentities() error {
	var rows []struct {
		ID     int64
		IDType string
		IDEnc  string
	}
	if err := sc.db.Table("students").Select("id, id_type, id_enc").Where("id_type <> ?", string(model.IDTypeResident)).
		Order("id").Scan(&rows).Error; err != nil {
		return err
	}
	groups := map[string][]int64{} // resident lookup hash → records
	for _, r := range rows {
		num, err := sc.keys.Open(r.IDEnc)
		if err != nil {
			return err
		}
		if rid, ok := model.AsResidentID(model.IDType(r.IDType), num, sc.now); ok {
			h := sc.keys.Lookup("id", string(rid.Type)+":"+rid.Value)
			groups[h] = append(groups[h], r.ID)
		}
	}
	if len(groups) == 0 {
		return nil
	}
	hashes := make([]string, 0, len(groups))
	for h := range groups {
		hashes = append(hashes, h)
	}
	var residents []struct {
		ID     int64
		IDHash string
	}
	if err := sc.db.Table("students").Select("id, id_hash").Where("id_hash IN ?", hashes).Scan(&residents).Error; err != nil {
		return err
	}
	for _, r := range residents {
		groups[r.IDHash] = append(groups[r.IDHash], r.ID)
	}
	slices.Sort(hashes)
	var all []int64
	for _, h := range hashes {
		all = append(all, groups[h]...)
	}
	students, err := sc.students(all)
	if err != nil {
		return err
	}
	latest, err := sc.latestSchools(all)
	if err != nil {
		return err
	}
	for _, h := range hashes {
		ids := sortedUniqueIDs(groups[h])
		if len(ids) < 2 {
			continue
		}
		var regions []string
		for _, id := range ids {
			regions = append(regions, sc.school(latest[id]).RegionCode)
		}
		st := students[ids[0]]
		sc.add(finding{rule: model.RuleDuplicateIdentity, key: fingerprint(model.RuleDuplicateIdentity, ids),
			region: commonRegion(regions...), studentID: ids[0],
			summary: fmt.Sprintf("%s 的居民身份证号在 %d 份档案中出现（证件类型填写不同）：请核实后处理，已发放的资助不会自动合并",
				personOf(st), len(ids)),
			details: map[string]any{"student_ids": ids, "name": st.Name, "id_number": st.IDMasked}})
	}
	return nil
}
