package service

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gorm.io/gorm"
)

// Keyring encrypts personal data at rest (DESIGN.md hard rule 4): AES-256-GCM
// for ID, account and student numbers and stored files, and an HMAC of the
// normalised value for lookups and unique keys, so equality never needs the
// plaintext. It seals with the current data key; during a rotation (rekey)
// it also holds the older keys, only to open what they sealed.
type Keyring struct {
	cur  sealKey
	open []sealKey // cur first, then older keys
	// hmacKey keys lookups; auditKey the audit chain, so rewriting it needs the data key.
	hmacKey  []byte
	auditKey []byte
	check    string
}

// sealKey is one data key's cipher and the id sealed values carry, so a
// value says which key sealed it and a rotation knows what is left to do.
type sealKey struct {
	id   string
	aead cipher.AEAD
}

// NewKeyring derives separate encryption and lookup keys from the data key,
// so the HMAC values reveal nothing about the encryption key. Older keys are
// used only to open values they sealed.
func NewKeyring(key []byte, older ...[]byte) (*Keyring, error) {
	var ks []sealKey
	for _, k := range append([][]byte{key}, older...) {
		if len(k) != 32 {
			return nil, fmt.Errorf("data key must be 32 bytes, got %d", len(k))
		}
		block, err := aes.NewCipher(derive(k, "studentaid encryption v1"))
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		ks = append(ks, sealKey{id: keyID(k), aead: aead})
	}
	return &Keyring{
		cur:      ks[0],
		open:     ks,
		hmacKey:  derive(key, "studentaid lookup v1"),
		auditKey: derive(key, "studentaid audit chain v1"),
		check:    keyCheck(key),
	}, nil
}

func derive(key []byte, label string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// keyID names a key in sealed values: 8 hex digits derived from it, which
// say nothing about the key itself.
func keyID(key []byte) string { return hex.EncodeToString(derive(key, "studentaid key id v1"))[:8] }

func keyCheck(key []byte) string { return hex.EncodeToString(derive(key, "studentaid key check v1")) }

// KeyID is the id of the key the keyring seals with.
func (k *Keyring) KeyID() string { return k.cur.id }

// Seal encrypts a value; the result is text ("keyid:" and base64) so it fits
// any column.
func (k *Keyring) Seal(plain string) string {
	if plain == "" {
		return ""
	}
	return k.cur.id + ":" + base64.StdEncoding.EncodeToString(k.cur.seal([]byte(plain)))
}

func (sk sealKey) seal(plain []byte) []byte {
	nonce := make([]byte, sk.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return sk.aead.Seal(nonce, nonce, plain, nil)
}

// Open decrypts what Seal produced. Values sealed before they carried a key
// id are tried with each key: GCM refuses a wrong one.
func (k *Keyring) Open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	id, body := SealedKeyID(sealed), sealed
	if id != "" {
		body = sealed[len(id)+1:]
	}
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return "", errors.New("sealed value is corrupt")
	}
	p, err := k.openWith(id, b)
	return string(p), err
}

// SealedKeyID is the id of the key that sealed a value, "" for a value
// sealed before values carried one (or not sealed at all).
func SealedKeyID(v string) string {
	if len(v) > 9 && v[8] == ':' && isHex(v[:8]) {
		return v[:8]
	}
	return ""
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

func (k *Keyring) openWith(id string, b []byte) ([]byte, error) {
	for _, sk := range k.open {
		if id != "" && sk.id != id {
			continue
		}
		n := sk.aead.NonceSize()
		if len(b) < n {
			return nil, errors.New("sealed value is corrupt")
		}
		if p, err := sk.aead.Open(nil, b[:n], b[n:], nil); err == nil {
			return p, nil
		}
	}
	return nil, errors.New("sealed value does not open with this data key")
}

// Lookup is the keyed hash of a normalised value, for WHERE and UNIQUE.
func (k *Keyring) Lookup(kind, normalized string) string {
	m := hmac.New(sha256.New, k.hmacKey)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(normalized))
	return hex.EncodeToString(m.Sum(nil))
}

// LoadDataKey takes the key from the inline base64 value, else from the key
// file, creating the file (mode 0600) only when create is true: a database
// that already holds encrypted data must never get a fresh key by accident.
// The file holds one key a line, the current one first; older lines are
// keys a rotation (rekey) has not retired yet, kept to open what they sealed.
func LoadDataKey(inline, file string, create bool) ([][]byte, error) {
	if inline != "" {
		key, err := decodeKey(inline, "STUDENTAID_DATA_KEY")
		return [][]byte{key}, err
	}
	b, err := os.ReadFile(file)
	if err == nil {
		// A key file others can read is narrowed to its owner at once.
		if err := os.Chmod(file, 0o600); err != nil {
			return nil, err
		}
		var keys [][]byte
		for _, line := range strings.Fields(string(b)) {
			key, err := decodeKey(line, file)
			if err != nil {
				return nil, err
			}
			keys = append(keys, key)
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("数据密钥文件 %s 是空的", file)
		}
		return keys, nil
	}
	if !errors.Is(err, os.ErrNotExist) || !create {
		return nil, fmt.Errorf("数据密钥文件 %s 无法读取：%w（请恢复备份的密钥文件或设置 STUDENTAID_DATA_KEY）", file, err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := PrivateDir(filepath.Dir(file)); err != nil {
		return nil, err
	}
	return [][]byte{key}, writeKeyFile(file, [][]byte{key})
}

// writeKeyFile replaces the key file atomically (a new file renamed over the
// old one, both synced), so a crash leaves either the old keys or the new.
func writeKeyFile(file string, keys [][]byte) error {
	var text strings.Builder
	for _, k := range keys {
		text.WriteString(base64.StdEncoding.EncodeToString(k) + "\n")
	}
	tmp := file + ".new"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(text.String())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, file)
	}
	if err != nil {
		return err
	}
	dir, err := os.Open(filepath.Dir(file))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}

func decodeKey(s, from string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("数据密钥（%s）必须是 32 字节的 base64 编码", from)
	}
	return key, nil
}

const settingKeyCheck = "data_key_check"

// BindKeyring records the key's check value in a new database, and refuses a
// key that is not the one the database was written with: data sealed with the
// old key would otherwise come back as errors, or worse, be mixed with new data.
func BindKeyring(ctx context.Context, db *gorm.DB, k *Keyring) error {
	db = db.WithContext(ctx)
	err := db.Exec("INSERT INTO settings (name, value) VALUES (?, ?)", settingKeyCheck, k.check).Error
	if err != nil && !alreadyDone(err) {
		return err
	}
	var stored string
	if err := db.Raw("SELECT value FROM settings WHERE name = ?", settingKeyCheck).Scan(&stored).Error; err != nil {
		return err
	}
	// While a rotation runs, values are sealed and looked up under two keys:
	// a service writing with either would leave data the rotation misses.
	var rotating int64
	if err := db.Raw("SELECT COUNT(*) FROM settings WHERE name = ?", settingRekeyTo).Scan(&rotating).Error; err != nil {
		return err
	}
	if rotating > 0 {
		return errors.New("数据密钥轮换（rekey）尚未完成：请先再次运行 studentaid rekey 直到完成，再启动服务")
	}
	if stored != k.check {
		return errors.New("数据密钥与数据库不匹配：数据库中的身份证件号和银行卡号是用另一把密钥加密的。" +
			"请使用原来的密钥文件或 STUDENTAID_DATA_KEY；不能在没有旧密钥的情况下更换密钥")
	}
	return nil
}

// KeyCheckStored reports whether the database already has a bound key, so the
// caller knows whether creating a new key file is allowed.
func KeyCheckStored(ctx context.Context, db *gorm.DB) (bool, error) {
	var n int64
	err := db.WithContext(ctx).Raw("SELECT COUNT(*) FROM settings WHERE name = ?", settingKeyCheck).Scan(&n).Error
	return n > 0, err
}
