package service

import (
	"errors"

	"studentaid/service/ledger"
)

// ledgerFileErr turns an unreadable upload into a service error: too large
// (413), a workbook without the expected header (422), else not a workbook
// (400); prefix goes before the file error's code. A file past a bound of
// the roster's reader keeps the code a roster gets (cell_too_large, …).
func ledgerFileErr(err error, prefix string) error {
	var fe *ledger.FileError
	if !errors.As(err, &fe) {
		return err
	}
	code := CodeInvalid
	switch fe.Code {
	case ledger.CodeTooLarge:
		code = CodeTooLarge
	case ledger.CodeNoHeader:
		code = CodeRule
	}
	reason := prefix + fe.Code
	if fe.Reason != "" {
		reason = fe.Reason
	}
	return &Error{Code: code, Reason: reason, Message: fe.Message}
}
