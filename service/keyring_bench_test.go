package service_test

import (
	"bytes"
	"testing"

	"studentaid/service"
)

// BenchmarkSealLedgerChunk: sealing and opening one 1 MiB ledger chunk, the
// cost stored ledgers and error workbooks pay per MiB.
func BenchmarkSealLedgerChunk(b *testing.B) {
	k, _ := service.NewKeyring(bytes.Repeat([]byte{7}, 32))
	chunk := bytes.Repeat([]byte("ledger bytes "), 1<<20/13)
	b.SetBytes(int64(len(chunk)))
	for b.Loop() {
		if _, err := k.OpenBytes(k.SealBytes(chunk)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenStudentNo: opening one sealed 学籍号, paid twice per ledger
// line (width, then the line) and once per line shown.
func BenchmarkOpenStudentNo(b *testing.B) {
	k, _ := service.NewKeyring(bytes.Repeat([]byte{7}, 32))
	v := k.Seal("G43090320150101123X")
	for b.Loop() {
		if _, err := k.Open(v); err != nil {
			b.Fatal(err)
		}
	}
}
