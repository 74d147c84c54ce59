package service

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"studentaid/model"
)

var (
	regionCodePattern = regexp.MustCompile(`^\d{6}$`)
	schoolCodePattern = regexp.MustCompile(`^\d{10}$`)
)

// CreateRegion is for admins; codes follow GB/T 2260.
func (s *Schools) CreateRegion(ctx context.Context, a model.Actor, r model.Region) (model.Region, error) {
	if !a.Is(model.RoleAdmin) {
		return r, errRoleForbidden
	}
	r.Name = strings.TrimSpace(r.Name)
	if !regionCodePattern.MatchString(r.Code) {
		return r, invalid("区域代码须为 6 位数字（GB/T 2260）")
	}
	if r.Name == "" {
		return r, invalid("区域名称不能为空")
	}
	if r.ParentCode != nil && *r.ParentCode == "" {
		r.ParentCode = nil
	}
	r.CreatedAt = s.now()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&r).Error; err != nil {
			return translate(err, "区域 "+r.Code)
		}
		return s.audit(tx, a, "create", "region", r.Code, nil, r)
	})
	return r, err
}

// ListRegions is open to every user: division codes are public.
func (s *Schools) ListRegions(ctx context.Context) ([]model.Region, error) {
	var out []model.Region
	return out, s.db.WithContext(ctx).Order("code").Find(&out).Error
}

// CreateSchool is for admins, and for county officers within their county.
func (s *Schools) CreateSchool(ctx context.Context, a model.Actor, sc model.School) (model.School, error) {
	if !a.Is(model.RoleAdmin, model.RoleCountyOfficer) {
		return sc, errRoleForbidden
	}
	sc.Name = strings.TrimSpace(sc.Name)
	switch {
	case !schoolCodePattern.MatchString(sc.Code):
		return sc, invalid("学校标识码须为 10 位数字")
	case sc.Name == "":
		return sc, invalid("学校名称不能为空")
	case !sc.Type.Valid():
		return sc, invalid("学校类型须为 primary、junior、nine_year、senior、complete_secondary 或 vocational")
	case !model.IsCountyCode(sc.RegionCode):
		return sc, invalid("学校所在区域须为区县代码")
	case !seesRegion(a, sc.RegionCode):
		return sc, forbidden("只能在本县（区）内新增学校")
	}
	now := s.now()
	sc.ID, sc.CreatedAt, sc.UpdatedAt = 0, now, now
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&sc).Error; err != nil {
			return translate(err, "学校标识码 "+sc.Code)
		}
		return s.audit(tx, inRegion(a, sc.RegionCode), "create", "school", strconv.FormatInt(sc.ID, 10), nil, sc)
	})
	return sc, err
}

// SchoolFilter narrows a school list.
type SchoolFilter struct {
	RegionCode string
	Page       Page
}

// ListSchools lists the schools in the actor's scope.
func (s *Schools) ListSchools(ctx context.Context, a model.Actor, f SchoolFilter) (List[model.School], error) {
	q := inScopeSchools(s.db.WithContext(ctx).Model(&model.School{}), a, "id")
	if f.RegionCode != "" && !regionCodePattern.MatchString(f.RegionCode) {
		return List[model.School]{}, invalid("region_code 须为 6 位区域代码")
	}
	if f.RegionCode != "" {
		q = q.Where("region_code LIKE ?", model.RegionPrefix(f.RegionCode)+"%")
	}
	out := List[model.School]{Page: f.Page.Normalize()}
	if err := q.Count(&out.Total).Error; err != nil {
		return out, err
	}
	return out, out.Page.apply(q.Order("code")).Find(&out.Items).Error
}

// GetSchool answers 404 for a school outside the actor's scope.
func (s *Schools) GetSchool(ctx context.Context, a model.Actor, id int64) (model.School, error) {
	var sc model.School
	if err := s.db.WithContext(ctx).First(&sc, id).Error; err != nil {
		return sc, translate(err, "学校")
	}
	if !seesSchool(a, sc) {
		return model.School{}, notFound("学校")
	}
	return sc, nil
}
