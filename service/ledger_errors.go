package service

import (
	"errors"

	"studentaid/service/ledger"
)

// ledgerFileErr turns an unreadable upload into a service error: too large
// (413), a workbook without the expected header (422), else not a workbook
// (400); reason prefixes the file error's code.
func ledgerFileErr(err error, reason string) error {
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
	return &Error{Code: code, Reason: reason + fe.Code, Message: fe.Message}
}
