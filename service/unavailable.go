package service

import (
	"database/sql/driver"
	"errors"
	"net"
	"syscall"

	mysqldrv "github.com/go-sql-driver/mysql"
)

// IsUnavailable recognises a database that went away, which deserves 503
// and a retry rather than 500. The service knows the drivers; callers need
// not.
func IsUnavailable(err error) bool {
	var ne net.Error
	return errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, mysqldrv.ErrInvalidConn) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.As(err, &ne)
}
