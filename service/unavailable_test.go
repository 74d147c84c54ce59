package service_test

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"syscall"
	"testing"

	mysqldrv "github.com/go-sql-driver/mysql"

	"studentaid/service"
)

func TestIsUnavailableKnowsALostDatabase(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{driver.ErrBadConn, true},
		{fmt.Errorf("query: %w", mysqldrv.ErrInvalidConn), true},
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{syscall.ECONNRESET, true},
		{errors.New("duplicate entry"), false},
		{&service.Error{Code: service.CodeConflict, Message: "冲突"}, false},
	} {
		if got := service.IsUnavailable(c.err); got != c.want {
			t.Errorf("IsUnavailable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
