package service_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"studentaid/configs"
	"studentaid/model"
	"studentaid/service"
)

// A three-node MariaDB Galera cluster on loopback (scripts/multi/galera-node.cnf),
// started when STUDENTAID_GALERA_TEST=1; scripts/test.sh sets it when the
// galera-4 package is installed. About half a minute, most of it the two
// joiners' state transfers.
func TestGaleraMigrationLeasesAndConflicts(t *testing.T) {
	if os.Getenv("STUDENTAID_GALERA_TEST") != "1" {
		t.Skip("set STUDENTAID_GALERA_TEST=1 to start a Galera cluster (needs galera-4, rsync, mariadb-server)")
	}
	ctx := context.Background()
	c := newGaleraCluster(t)
	svcs, dbs := c.svcs, c.dbs
	var wg sync.WaitGroup
	errs := make([]error, len(svcs))
	for i, db := range c.gdbs {
		// Every node migrates the empty database at once: GET_LOCK would
		// let all three in (Galera does not replicate it); the lease row
		// lets one.
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = service.Migrate(ctx, db)
		}(i)
	}
	wg.Wait()
	latest, _ := service.LatestSchemaVersion("mysql")
	for i := range svcs {
		if errs[i] != nil {
			t.Fatalf("migrating at node %d: %v", i+1, errs[i])
		}
		var n, distinct, max int
		if err := dbs[i].QueryRow("SELECT COUNT(*), COUNT(DISTINCT version), MAX(version) FROM schema_migrations").Scan(&n, &distinct, &max); err != nil {
			t.Fatal(err)
		}
		if n != distinct || max != latest {
			t.Fatalf("node %d: %d migrations recorded, %d distinct, latest %d (want %d)", i+1, n, distinct, max, latest)
		}
	}

	// A job lease taken at three nodes at once: exactly one wins, every
	// round. The losers see a row already held or a certification failure,
	// never an error.
	for round := 0; round < 20; round++ {
		job := fmt.Sprintf("race_%d", round)
		won := make([]bool, len(svcs))
		for i := range svcs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				won[i], errs[i] = svcs[i].Jobs.AcquireLease(ctx, job, fmt.Sprintf("node%d", i+1), time.Minute)
			}(i)
		}
		wg.Wait()
		winners := 0
		for i := range svcs {
			if errs[i] != nil {
				t.Fatalf("round %d, node %d: %v", round, i+1, errs[i])
			}
			if won[i] {
				winners++
			}
		}
		if winners != 1 {
			t.Fatalf("round %d: %d nodes hold the lease %s", round, winners, job)
		}
	}

	// Writes at every node at once all append to the audit chain's head row:
	// certification conflicts, retried until each commits; the chain stays
	// whole on every node.
	c.admin(t)
	const logins = 15
	for i := range svcs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for k := 0; k < logins && errs[i] == nil; k++ {
				_, errs[i] = svcs[i].Auth.Login(ctx, model.Actor{ClientIP: "127.0.0.1"}, "admin", galeraAdminPW)
			}
		}(i)
	}
	wg.Wait()
	for i := range svcs {
		if errs[i] != nil {
			t.Fatalf("login at node %d: %v", i+1, errs[i])
		}
	}
	t.Logf("%d logins at three nodes at once: %d transactions retried after a conflict", 3*logins, c.retried())
	waitSynced(t, dbs)
	for i := range svcs {
		check, err := svcs[i].Audit.VerifyAudit(ctx, model.SystemActor("test"))
		if err != nil || !check.OK || check.Entries < 3*logins {
			t.Fatalf("audit chain at node %d: %+v %v", i+1, check, err)
		}
	}
}

// BenchmarkGaleraAuditedWrites measures what the audit chain's single head
// row costs a multi-primary cluster (docs/deploy.md): six writers at once,
// all at node 1, then spread over the three nodes. "audited" is a login (a
// session row and an audit entry, which takes the head row); "session_only"
// is the same session insert without the audit entry, so the difference
// between the two shows what the head adds to writing at several nodes.
// retries/op is the transactions tried again (certification failures) per
// write.
//
//	STUDENTAID_GALERA_TEST=1 go test ./service -run '^$' -bench GaleraAuditedWrites -benchtime 1000x
func BenchmarkGaleraAuditedWrites(b *testing.B) {
	if os.Getenv("STUDENTAID_GALERA_TEST") != "1" {
		b.Skip("set STUDENTAID_GALERA_TEST=1 to start a Galera cluster (needs galera-4, rsync, mariadb-server)")
	}
	ctx := context.Background()
	c := newGaleraCluster(b)
	if err := service.Migrate(ctx, c.gdbs[0]); err != nil {
		b.Fatal(err)
	}
	c.admin(b)
	var admin model.User
	if err := c.gdbs[0].Where("username = ?", "admin").First(&admin).Error; err != nil {
		b.Fatal(err)
	}
	writes := map[string]func(node int) error{
		"audited": func(node int) error {
			_, err := c.svcs[node].Auth.Login(ctx, model.Actor{ClientIP: "127.0.0.1"}, "admin", galeraAdminPW)
			return err
		},
		"session_only": func(node int) error {
			token := make([]byte, 16)
			_, _ = rand.Read(token)
			now := time.Now().UTC()
			return c.gdbs[node].Create(&model.Session{TokenHash: fmt.Sprintf("%x", token), UserID: admin.ID,
				ClientIP: "127.0.0.1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}).Error
		},
	}
	for _, kind := range []string{"audited", "session_only"} {
		for _, spread := range []int{1, 3} {
			b.Run(fmt.Sprintf("%s/nodes=%d", kind, spread), func(b *testing.B) {
				var writer atomic.Int64
				before := c.retried()
				b.SetParallelism(3) // six writers on two cores
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					node := int(writer.Add(1)) % spread
					for pb.Next() {
						if err := writes[kind](node); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.StopTimer()
				b.ReportMetric(float64(c.retried()-before)/float64(b.N), "retries/op")
				waitSynced(b, c.dbs)
			})
		}
	}
	check, err := c.svcs[2].Audit.VerifyAudit(ctx, model.SystemActor("bench"))
	if err != nil || !check.OK {
		b.Fatalf("audit chain at node 3: %+v %v", check, err)
	}
}

// galeraCluster is a three-node cluster with an empty studentaid database
// and a service at each node, all on one data key.
type galeraCluster struct {
	keys *service.Keyring
	svcs []*service.Service
	gdbs []*gorm.DB
	dbs  []*sql.DB
}

func newGaleraCluster(tb testing.TB) *galeraCluster {
	tb.Helper()
	nodes := startGalera(tb)
	root, err := sql.Open("mysql", nodes[0]+"/")
	if err != nil {
		tb.Fatal(err)
	}
	defer root.Close()
	if _, err := root.Exec("CREATE DATABASE studentaid CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	c := &galeraCluster{}
	c.keys, _ = service.NewKeyring(key)
	for _, n := range nodes {
		db, err := service.OpenDB(configs.Database{Driver: "mysql", DSN: n + "/studentaid", MaxOpenConns: 8, MaxIdleConns: 4,
			ConnMaxLifetime: time.Minute}, "", log)
		if err != nil {
			tb.Fatal(err)
		}
		sqlDB, _ := db.DB()
		svc := service.New(db, c.keys, log, service.Options{BcryptCost: bcrypt.MinCost, FailureDelay: 0})
		tb.Cleanup(func() { svc.Close(); sqlDB.Close() })
		c.gdbs, c.dbs, c.svcs = append(c.gdbs, db), append(c.dbs, sqlDB), append(c.svcs, svc)
	}
	return c
}

const galeraAdminPW = "galera-admin-password-2026"

// admin binds the key and makes the admin user (on a migrated database),
// then waits until every node has it.
func (c *galeraCluster) admin(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	if err := service.BindKeyring(ctx, c.gdbs[0], c.keys); err != nil {
		tb.Fatal(err)
	}
	if _, err := c.svcs[0].Users.EnsureAdmin(ctx, galeraAdminPW); err != nil {
		tb.Fatal(err)
	}
	waitSynced(tb, c.dbs)
}

// retried is how many transactions the cluster's services have tried again.
func (c *galeraCluster) retried() int64 {
	var n int64
	for _, s := range c.svcs {
		for _, r := range s.TxRetries() {
			n += r.Retried
		}
	}
	return n
}

// waitSynced waits until every node has applied what the cluster committed
// (wsrep_last_committed equal everywhere).
func waitSynced(t testing.TB, dbs []*sql.DB) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		seen := map[string]bool{}
		for _, db := range dbs {
			var name, v string
			if err := db.QueryRow("SHOW STATUS LIKE 'wsrep_last_committed'").Scan(&name, &v); err != nil {
				t.Fatal(err)
			}
			seen[v] = true
		}
		if len(seen) == 1 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the nodes did not converge on the same last committed write set")
}

// startGalera starts three nodes (the first bootstraps, the other two join
// by rsync state transfer) and returns their root DSNs without a database.
// They are stopped and their directories removed when the test ends.
func startGalera(t testing.TB) []string {
	t.Helper()
	tmpl, err := os.ReadFile("../scripts/multi/galera-node.cnf")
	if err != nil {
		t.Fatal(err)
	}
	// Not t.TempDir: its parents are private to this user, and the mysql
	// user must reach the data directories.
	dir, err := os.MkdirTemp("", "studentaid-galera-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	runAs := "mysql"
	if os.Geteuid() != 0 {
		u, _ := user.Current()
		runAs = u.Username
	}
	owner, err := user.Lookup(runAs)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(owner.Uid)
	gid, _ := strconv.Atoi(owner.Gid)
	ports := freePorts(t, 12)
	var peers []string
	for i := 0; i < 3; i++ {
		peers = append(peers, fmt.Sprintf("127.0.0.1:%d", ports[4*i+1]))
	}
	cnfs := make([]string, 3)
	dsns := make([]string, 3)
	for i := range cnfs {
		nd := filepath.Join(dir, fmt.Sprintf("node%d", i+1))
		for _, sub := range []string{"data", "tmp"} {
			if err := os.MkdirAll(filepath.Join(nd, sub), 0o750); err != nil {
				t.Fatal(err)
			}
		}
		cnf := strings.NewReplacer("@DIR@", nd, "@PORT@", strconv.Itoa(ports[4*i]), "@GPORT@", strconv.Itoa(ports[4*i+1]),
			"@IPORT@", strconv.Itoa(ports[4*i+2]), "@SPORT@", strconv.Itoa(ports[4*i+3]), "@NAME@", fmt.Sprintf("node%d", i+1),
			"@PEERS@", strings.Join(peers, ","), "user=mysql", "user="+runAs).Replace(string(tmpl))
		cnfs[i] = filepath.Join(nd, "my.cnf")
		if err := os.WriteFile(cnfs[i], []byte(cnf), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := filepath.Walk(nd, func(p string, _ os.FileInfo, err error) error {
			if err == nil {
				err = os.Chown(p, uid, gid)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		dsns[i] = fmt.Sprintf("root@tcp(127.0.0.1:%d)", ports[4*i])
	}
	if out, err := exec.Command("mariadb-install-db", "--defaults-file="+cnfs[0], "--auth-root-authentication-method=normal").CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	start := func(i int, args ...string) {
		cmd := exec.Command("mariadbd", append([]string{"--defaults-file=" + cnfs[i]}, args...)...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				<-done
			}
		})
	}
	began := time.Now()
	start(0, "--wsrep-new-cluster")
	waitNode(t, dsns[0], cnfs[0], 60*time.Second)
	start(1)
	start(2)
	waitNode(t, dsns[1], cnfs[1], 300*time.Second)
	waitNode(t, dsns[2], cnfs[2], 300*time.Second)
	t.Logf("three Galera nodes synced in %s", time.Since(began).Round(100*time.Millisecond))
	return dsns
}

// waitNode waits until the node reports itself Synced.
func waitNode(t testing.TB, dsn, cnf string, wait time.Duration) {
	t.Helper()
	db, err := sql.Open("mysql", dsn+"/")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		var name, state string
		if db.QueryRow("SHOW STATUS LIKE 'wsrep_local_state_comment'").Scan(&name, &state) == nil && state == "Synced" {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	logText, _ := os.ReadFile(filepath.Join(filepath.Dir(cnf), "server.log"))
	t.Fatalf("Galera node at %s not synced after %s; its log ends:\n%s", dsn, wait, tail(string(logText), 3000))
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	var out []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}
