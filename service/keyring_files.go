package service

import (
	"bytes"
	"errors"
)

// Stored files (ledger chunks, error workbooks) are sealed as bytes: a magic
// prefix, the sealing key's id, then nonce and ciphertext. An .xlsx starts
// with "PK", so a file stored before sealing is told apart from a sealed one.
var sealedFileMagic = []byte("SAB1")

// SealBytes encrypts stored file bytes with the current key.
func (k *Keyring) SealBytes(plain []byte) []byte {
	out := append(append([]byte{}, sealedFileMagic...), k.cur.id...)
	return append(out, k.cur.seal(plain)...)
}

// OpenBytes decrypts what SealBytes produced; bytes that were never sealed
// are refused, so nothing unsealed is served as if it were checked.
func (k *Keyring) OpenBytes(sealed []byte) ([]byte, error) {
	id, ok := SealedFileKeyID(sealed)
	if !ok {
		return nil, errors.New("stored file is not sealed")
	}
	return k.openWith(id, sealed[len(sealedFileMagic)+len(id):])
}

// SealedFileKeyID is the id of the key that sealed stored bytes; ok is false
// for bytes stored before files were sealed.
func SealedFileKeyID(b []byte) (string, bool) {
	n := len(sealedFileMagic)
	if len(b) < n+8 || !bytes.Equal(b[:n], sealedFileMagic) || !isHex(string(b[n:n+8])) {
		return "", false
	}
	return string(b[n : n+8]), true
}
