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
// for ID and bank account numbers, and an HMAC of the normalised value for
// lookups and unique keys, so equality never needs the plaintext.
type Keyring struct {
	aead    cipher.AEAD
	hmacKey []byte
	// auditKey keys the audit chain, so rewriting it needs the data key.
	auditKey []byte
	check    string
}

// NewKeyring derives separate encryption and lookup keys from the data key,
// so the HMAC values reveal nothing about the encryption key.
func NewKeyring(key []byte) (*Keyring, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("data key must be 32 bytes, got %d", len(key))
	}
	encKey := derive(key, "studentaid encryption v1")
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Keyring{
		aead:     aead,
		hmacKey:  derive(key, "studentaid lookup v1"),
		auditKey: derive(key, "studentaid audit chain v1"),
		check:    hex.EncodeToString(derive(key, "studentaid key check v1")),
	}, nil
}

func derive(key []byte, label string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// Seal encrypts a value; the result is base64 text so it fits any column.
func (k *Keyring) Seal(plain string) string {
	if plain == "" {
		return ""
	}
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.StdEncoding.EncodeToString(k.aead.Seal(nonce, nonce, []byte(plain), nil))
}

// Open decrypts what Seal produced.
func (k *Keyring) Open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(b) < k.aead.NonceSize() {
		return "", errors.New("sealed value is corrupt")
	}
	n := k.aead.NonceSize()
	p, err := k.aead.Open(nil, b[:n], b[n:], nil)
	if err != nil {
		return "", errors.New("sealed value does not open with this data key")
	}
	return string(p), nil
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
func LoadDataKey(inline, file string, create bool) ([]byte, error) {
	if inline != "" {
		return decodeKey(inline, "STUDENTAID_DATA_KEY")
	}
	b, err := os.ReadFile(file)
	if err == nil {
		// A key file others can read is narrowed to its owner at once.
		if err := os.Chmod(file, 0o600); err != nil {
			return nil, err
		}
		return decodeKey(strings.TrimSpace(string(b)), file)
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
	if err := os.WriteFile(file, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, err
	}
	return key, nil
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
