package service

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"studentaid/model"
)

// CoBorrower is the 共同借款人 of an application, normally a parent or guardian.
type CoBorrower struct {
	Name, IDNumber, Relation, Phone string
}

// LoanApplicationInput is one application as an officer types it or as one
// row of an import reads.
type LoanApplicationInput struct {
	SchoolYear       string
	IDNumber         string
	Name             string
	HomeRegion       string // 户籍地区码; empty: the file's, else the ID's first six digits
	CoBorrower       CoBorrower
	University       string
	UniversityCode   string
	Level            string
	Years            int
	EntryYear        int
	TuitionFen       model.Fen
	AccommodationFen model.Fen
	LivingFen        model.Fen
	Difficulty       string // a statement's type; empty: the difficulty record in the file
}

// loanInputError says which field of an application is wrong; an import
// turns Field into the template's column.
type loanInputError struct {
	Field, Message string
}

func (e *loanInputError) Error() string { return e.Message }

func fieldErr(field, format string, args ...any) error {
	return &loanInputError{Field: field, Message: invalid(format, args...).Message}
}

// validApplication is an application whose fields have been checked one by one.
type validApplication struct {
	in       LoanApplicationInput
	id, coID model.IDNumber
	hash     string // the student's idLookup, an HMAC: made once per application
	phone    string
}

func (s *Loans) checkApplication(in LoanApplicationInput) (validApplication, error) {
	v := validApplication{in: in}
	now := s.now()
	in.Name, in.CoBorrower.Name = strings.TrimSpace(in.Name), strings.TrimSpace(in.CoBorrower.Name)
	in.University, in.UniversityCode = strings.TrimSpace(in.University), strings.TrimSpace(in.UniversityCode)
	in.CoBorrower.Relation, in.Difficulty = strings.TrimSpace(in.CoBorrower.Relation), strings.TrimSpace(in.Difficulty)
	v.in = in
	var err error
	switch {
	case model.ParseSchoolYear(in.SchoolYear) != nil:
		return v, fieldErr("school_year", "学年格式应为 2025-2026")
	case utf8.RuneCountInString(in.Name) < 2 || utf8.RuneCountInString(in.Name) > 30:
		return v, fieldErr("name", "学生姓名须为 2–30 个字")
	case utf8.RuneCountInString(in.CoBorrower.Name) < 2 || utf8.RuneCountInString(in.CoBorrower.Name) > 30:
		return v, fieldErr("co_borrower.name", "共同借款人姓名须为 2–30 个字")
	case in.CoBorrower.Relation == "" || utf8.RuneCountInString(in.CoBorrower.Relation) > 8:
		return v, fieldErr("co_borrower.relation", "须填写共同借款人与学生的关系（如 父子、母女、监护人）")
	case in.University == "" || utf8.RuneCountInString(in.University) > 100:
		return v, fieldErr("university", "须填写就读高校名称")
	case len(in.UniversityCode) != 5 || !digitsOnly(in.UniversityCode):
		return v, fieldErr("university_code", "高校代码应为 5 位数字（教育部院校代码）")
	case model.LoanLevelLabel(in.Level) == "":
		return v, fieldErr("level", "学历层次须为 junior_college（专科/高职）、undergraduate（本科）或 graduate（研究生）")
	case in.Years < 1 || in.Years > 8:
		return v, fieldErr("years", "学制须为 1–8 年")
	case in.TuitionFen < 0 || in.AccommodationFen < 0 || in.LivingFen < 0:
		return v, fieldErr("tuition_fen", "申请金额不能为负数")
	case in.TuitionFen+in.AccommodationFen+in.LivingFen <= 0:
		return v, fieldErr("tuition_fen", "申请金额须大于 0")
	case in.HomeRegion != "" && !regionCodePattern.MatchString(in.HomeRegion):
		return v, fieldErr("home_region", "户籍地区码应为 6 位数字")
	}
	first, _ := strconv.Atoi(in.SchoolYear[:4])
	if in.EntryYear < 1990 || first < in.EntryYear || first >= in.EntryYear+in.Years {
		return v, fieldErr("entry_year", "%s学年不在入学年份 %d 起的 %d 年学制之内", in.SchoolYear, in.EntryYear, in.Years)
	}
	if v.id, err = model.ParseIDNumber(model.IDTypeResident, in.IDNumber, now); err != nil {
		return v, fieldErr("id_number", "学生身份证号：%s", err.Error())
	}
	if v.coID, err = model.ParseIDNumber(model.IDTypeResident, in.CoBorrower.IDNumber, now); err != nil {
		return v, fieldErr("co_borrower.id_number", "共同借款人身份证号：%s", err.Error())
	}
	if v.coID.Value == v.id.Value {
		return v, fieldErr("co_borrower.id_number", "共同借款人不能是学生本人")
	}
	if v.phone, err = model.ParsePhone(in.CoBorrower.Phone); err != nil {
		return v, fieldErr("co_borrower.phone", "共同借款人电话：%s", err.Error())
	}
	v.hash = s.idLookup(v.id)
	return v, nil
}

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// CreateLoanApplication takes one application (API.md POST /loans/applications).
func (s *Loans) CreateLoanApplication(ctx context.Context, a model.Actor, in LoanApplicationInput) (model.LoanApplication, error) {
	if !a.Is(model.RoleCountyOfficer) {
		return model.LoanApplication{}, errRoleForbidden
	}
	v, err := s.checkApplication(in)
	var fe *loanInputError
	if errors.As(err, &fe) {
		return model.LoanApplication{}, invalid("%s", fe.Message)
	} else if err != nil {
		return model.LoanApplication{}, err
	}
	var app model.LoanApplication
	err = s.tx(ctx, func(tx *gorm.DB) error {
		in := s.newIntake(tx, a)
		if err := in.load([]validApplication{v}); err != nil {
			return err
		}
		t, err := in.take(v)
		if err != nil {
			return err
		}
		if err := in.flush([]*takenApp{t}); err != nil {
			return err
		}
		app = t.app
		return s.audit(tx, a, "create", "loan_application", strconv.FormatInt(app.ID, 10), nil, auditLoan(app))
	})
	return app, err
}

// loanEvent appends one step to an application's status history.
func (s *Loans) loanEvent(tx *gorm.DB, a model.Actor, id int64, from, to, note string) error {
	return tx.Create(&model.LoanEvent{ApplicationID: id, At: s.now(), Actor: actorName(a), FromStatus: from, ToStatus: to, Note: note}).Error
}

// auditLoan is what the audit log keeps of an application: no sealed values.
func auditLoan(l model.LoanApplication) map[string]any {
	return map[string]any{"student_id": l.StudentID, "school_year": l.SchoolYear, "region_code": l.RegionCode, "kind": l.Kind,
		"co_borrower": l.CoName, "co_id": l.CoIDMasked, "university_code": l.UniversityCode, "level": l.Level,
		"granted_fen": l.GrantedFen, "status": l.Status, "contract_no": l.ContractNo, "disbursed_fen": l.DisbursedFen}
}
