package daira

// The wrapper against a real libdaira_c.so on a temporary SQLite file: service and record calls, field
// masks, batch loads, pages, the Error type on failures, shutdown and close — and that calls.go wraps
// every daira_* function daira_c.h declares. Run by examples/run_ffi_examples.sh (go test ./daira).

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

type user struct {
	ID       string `json:"id"`
	Username string `json:"username"`
}

type wallet struct {
	ID       string  `json:"id"`
	UserID   *string `json:"user_id"`
	Balance  *int64  `json:"balance"`
	Currency *string `json:"currency"`
}

func open(t *testing.T) *Platform {
	t.Helper()
	db, err := Open("sqlite:"+filepath.Join(t.TempDir(), "go.db"), map[string]any{"password_cost": "test"})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func register(t *testing.T, db *Platform, name string) user {
	t.Helper()
	u, err := Decode[user](db.AccountsRegister(map[string]any{
		"username": name, "email": name + "@example.com", "password": "correct horse battery"}))
	if err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
	return u
}

// wantError checks that err is a *Error with `code` naming `field`.
func wantError(t *testing.T, err error, code Code, field string) *Error {
	t.Helper()
	var derr *Error
	if !errors.As(err, &derr) {
		t.Fatalf("got %v, want a *daira.Error %s", err, code)
	}
	if derr.Code != code || derr.Field != field || derr.Message == "" {
		t.Fatalf("got %s field %q (%q), want %s field %q", derr.Code, derr.Field, derr.Message, code, field)
	}
	return derr
}

func TestLibrary(t *testing.T) {
	if !regexp.MustCompile(`^\d+\.\d+\.\d+`).MatchString(Version()) {
		t.Errorf("Version() = %q", Version())
	}
	if InvalidArgument.String() != "INVALID_ARGUMENT" || Unimplemented.String() != "UNIMPLEMENTED" {
		t.Errorf("code names: %s %s", InvalidArgument, Unimplemented)
	}
	if _, err := Open("nosuch:/x", nil); err == nil {
		t.Errorf("Open(nosuch:) succeeded")
	} else {
		wantError(t, err, InvalidArgument, "scheme")
	}
}

func TestServiceAndRecordCalls(t *testing.T) {
	db := open(t)
	if err := db.Ping(); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	alice := register(t, db, "alice")
	bob := register(t, db, "bob")

	// A service error: AlreadyExists naming the field, through the typed method and through Call.
	_, err := db.AccountsRegister(map[string]any{"username": "alice", "email": "x@example.com", "password": "long enough pw"})
	wantError(t, err, AlreadyExists, "username")
	wantError(t, db.Call("users_get", map[string]any{"id": "987654321"}, nil), NotFound, "")
	if err := db.Call("no_such_call", nil, nil); err == nil {
		t.Errorf("Call(no_such_call) succeeded")
	}

	// Wallets: create, masked get, batch load with a missing id, exists.
	created, err := Decode[wallet](db.WalletsCreate(map[string]any{"user_id": alice.ID}))
	if err != nil || created.Balance == nil || *created.Balance != 0 || *created.Currency != "USD" {
		t.Fatalf("WalletsCreate: %+v %v", created, err)
	}
	got, err := Decode[wallet](db.WalletsGet(map[string]any{"id": created.ID}, "balance"))
	if err != nil || got.ID != created.ID || got.Balance == nil || got.Currency != nil || got.UserID != nil {
		t.Fatalf("WalletsGet with a mask: %+v %v", got, err)
	}
	var batch struct {
		Items   []wallet `json:"items"`
		Missing []string `json:"missing"`
	}
	if err := db.Call("wallets_get_many", []string{created.ID, "42"}, &batch); err != nil {
		t.Fatalf("wallets_get_many: %v", err)
	}
	if len(batch.Items) != 1 || batch.Items[0].ID != created.ID || len(batch.Missing) != 1 || batch.Missing[0] != "42" {
		t.Fatalf("wallets_get_many: %+v", batch)
	}
	exists, err := Decode[struct{ Exists bool }](db.WalletsExists(map[string]any{"id": created.ID}))
	if err != nil || !exists.Exists {
		t.Fatalf("WalletsExists: %+v %v", exists, err)
	}
	count, err := Decode[struct{ Count int64 }](db.WalletsCount(map[string]any{"currency": "USD"}))
	if err != nil || count.Count != 1 {
		t.Fatalf("WalletsCount: %+v %v", count, err)
	}

	// Record-call errors: an unknown mask field, a money write, bad JSON passed through as bytes.
	_, err = db.WalletsGet(map[string]any{"id": created.ID}, "balance,nope")
	wantError(t, err, InvalidArgument, "fields")
	_, err = db.WalletsUpdate(map[string]any{"id": created.ID, "balance": 100})
	wantError(t, err, InvalidArgument, "balance")
	_, err = db.WalletsGetMany([]byte(`{"ids":[1]}`), "")
	wantError(t, err, InvalidArgument, "ids_json")
	_, err = db.PostsGet([]byte(`{"id":`), "")
	wantError(t, err, InvalidArgument, "request_json")

	// The journal, a page, and the append-only audit log.
	if _, err := db.TransactionsCreate(map[string]any{"wallet_id": created.ID, "amount": 500, "status": "COMPLETED"}); err != nil {
		t.Fatalf("TransactionsCreate: %v", err)
	}
	page, err := Decode[struct {
		Items []struct {
			Amount int64 `json:"amount"`
		} `json:"items"`
		HasMore bool `json:"has_more"`
	}](db.TransactionsListByWallet(map[string]any{"wallet_id": created.ID, "limit": 5}, "amount"))
	if err != nil || len(page.Items) != 1 || page.Items[0].Amount != 500 || page.HasMore {
		t.Fatalf("TransactionsListByWallet: %+v %v", page, err)
	}
	entry, err := Decode[struct{ ID string }](db.AuditLogsCreate(map[string]any{
		"actor_id": bob.ID, "action": "user.warn", "resource_type": "user", "resource_id": alice.ID}))
	if err != nil {
		t.Fatalf("AuditLogsCreate: %v", err)
	}
	_, err = db.AuditLogsUpdate(map[string]any{"id": entry.ID})
	if derr := wantError(t, err, Unimplemented, ""); !strings.Contains(derr.Message, "append-only") {
		t.Errorf("AuditLogsUpdate message %q", derr.Message)
	}

	// Shutdown keeps the handle; calls then fail with FailedPrecondition until Close.
	if err := db.Shutdown(); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	_, err = db.PostsListByAuthor(map[string]any{"author_id": alice.ID}, "")
	wantError(t, err, FailedPrecondition, "")
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	_, err = db.UsersGet(map[string]any{"id": alice.ID})
	wantError(t, err, FailedPrecondition, "platform")
}

// The typed single-id methods (daira_<call>_by_id_into into a Go buffer) return the JSON call's record
// byte for byte, also one larger than the first buffer (read again at the size reported); NotFound for
// an unknown id; FailedPrecondition once the platform is closed.
func TestByIDCalls(t *testing.T) {
	db := open(t)
	alice := register(t, db, "alice")
	id, err := strconv.ParseInt(alice.ID, 10, 64)
	if err != nil {
		t.Fatalf("id %q: %v", alice.ID, err)
	}
	same := func(what string, got []byte, gotErr error, want []byte, wantErr error) {
		t.Helper()
		if gotErr != nil || wantErr != nil || string(got) != string(want) {
			t.Errorf("%s: got %s (%v), want %s (%v)", what, got, gotErr, want, wantErr)
		}
	}
	got, gotErr := db.UsersGetByID(id)
	want, wantErr := db.UsersGet(map[string]any{"id": alice.ID})
	same("UsersGetByID", got, gotErr, want, wantErr)
	got, gotErr = db.ProfilesStatsByID(id)
	want, wantErr = db.ProfilesStats(map[string]any{"user_id": alice.ID})
	same("ProfilesStatsByID", got, gotErr, want, wantErr)
	post, err := Decode[struct {
		ID string `json:"id"`
	}](db.ContentCreatePost(map[string]any{"author_id": alice.ID, "content": strings.Repeat("long post ", 300)}))
	if err != nil {
		t.Fatalf("ContentCreatePost: %v", err)
	}
	postID, _ := strconv.ParseInt(post.ID, 10, 64)
	got, gotErr = db.ContentGetPostByID(postID)
	want, wantErr = db.ContentGetPost(map[string]any{"post_id": post.ID})
	same("ContentGetPostByID", got, gotErr, want, wantErr)
	if len(got) <= idBufferSize {
		t.Errorf("the post's record is %d bytes: not larger than the first buffer (%d)", len(got), idBufferSize)
	}
	_, err = db.UsersGetByID(987654321)
	wantError(t, err, NotFound, "")
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	_, err = db.UsersGetByID(id)
	wantError(t, err, FailedPrecondition, "platform")
}

// The read-only social and account repositories: a pair finder with a mask, a page, a profile keyed by
// user_id, the session token hashes refused naming "fields", and the video search.
func TestSocialRecordCalls(t *testing.T) {
	db := open(t)
	alice, bob := register(t, db, "alice"), register(t, db, "bob")
	type follow struct {
		ID         string  `json:"id"`
		Status     *string `json:"status"`
		FollowerID *string `json:"follower_id"`
	}
	created, err := Decode[follow](db.SocialFollow(map[string]any{"follower_id": bob.ID, "followee_id": alice.ID}))
	if err != nil {
		t.Fatalf("SocialFollow: %v", err)
	}
	got, err := Decode[follow](db.FollowsFindByPair(map[string]any{"follower_id": bob.ID, "followee_id": alice.ID}, "status"))
	if err != nil || got.ID != created.ID || got.Status == nil || *got.Status != "ACTIVE" || got.FollowerID != nil {
		t.Fatalf("FollowsFindByPair with a mask: %+v %v", got, err)
	}
	page, err := Decode[struct {
		Items   []follow `json:"items"`
		HasMore bool     `json:"has_more"`
	}](db.FollowsListByFollowee(map[string]any{"followee_id": alice.ID}, "follower_id"))
	if err != nil || len(page.Items) != 1 || page.Items[0].FollowerID == nil || *page.Items[0].FollowerID != bob.ID {
		t.Fatalf("FollowsListByFollowee: %+v %v", page, err)
	}
	profile, err := Decode[struct {
		UserID         string `json:"user_id"`
		FollowersCount *int64 `json:"followers_count"`
	}](db.UserProfilesGet(map[string]any{"user_id": alice.ID}, "followers_count"))
	if err != nil || profile.UserID != alice.ID || profile.FollowersCount == nil || *profile.FollowersCount != 1 {
		t.Fatalf("UserProfilesGet: %+v %v", profile, err)
	}
	login, err := Decode[struct {
		SessionID string `json:"session_id"`
	}](db.AccountsLogin(map[string]any{"identifier": "alice", "password": "correct horse battery"}))
	if err != nil {
		t.Fatalf("AccountsLogin: %v", err)
	}
	session, err := db.SessionsGet(map[string]any{"id": login.SessionID}, "")
	if err != nil || strings.Contains(string(session), "token_hash") || !strings.Contains(string(session), alice.ID) {
		t.Fatalf("SessionsGet: %s %v", session, err)
	}
	_, err = db.SessionsGet(map[string]any{"id": login.SessionID}, "refresh_token_hash")
	wantError(t, err, InvalidArgument, "fields")
	result, err := db.SearchVideos(map[string]any{"query": "nile", "scope": "VIDEOS"})
	if err != nil || !strings.Contains(string(result), `"items":[]`) {
		t.Fatalf("SearchVideos: %s %v", result, err)
	}
	_, err = db.SearchVideos(map[string]any{"query": "nile", "scope": "POSTS"})
	wantError(t, err, InvalidArgument, "scope")
}

// Transactions: a Tx offers the Platform's calls; its writes are invisible outside until Commit and
// all visible after; Rollback discards them; a failed call inside leaves the Tx usable; Transact
// commits or rolls back around a function; Shutdown rolls back a Tx still open.
func TestTransactions(t *testing.T) {
	db := open(t)
	alice := register(t, db, "alice")
	countUsers := func(c interface {
		UsersCount(any) ([]byte, error)
	}) int64 {
		t.Helper()
		n, err := Decode[struct{ Count int64 }](c.UsersCount(nil))
		if err != nil {
			t.Fatalf("UsersCount: %v", err)
		}
		return n.Count
	}

	tx, err := db.Begin("")
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	carol, err := Decode[user](tx.AccountsRegister(map[string]any{
		"username": "carol", "email": "carol@example.com", "password": "correct horse battery"}))
	if err != nil {
		t.Fatalf("AccountsRegister in a tx: %v", err)
	}
	if _, err := tx.SocialFollow(map[string]any{"follower_id": carol.ID, "followee_id": alice.ID}); err != nil {
		t.Fatalf("SocialFollow in a tx: %v", err)
	}
	// A failed call undoes only itself.
	_, err = tx.AccountsRegister(map[string]any{"username": "alice", "email": "a2@example.com", "password": "long enough pw"})
	wantError(t, err, AlreadyExists, "username")
	var post struct{ ID string }
	if err := tx.Call("content_create_post", map[string]any{"author_id": carol.ID, "content": "in a tx"}, &post); err != nil {
		t.Fatalf("content_create_post in a tx: %v", err)
	}
	if _, err := tx.PostsGet(map[string]any{"id": post.ID}, "content"); err != nil {
		t.Fatalf("PostsGet in the tx: %v", err)
	}
	if err := tx.Ping(); err != nil {
		t.Fatalf("Ping in the tx: %v", err)
	}
	if countUsers(tx) != 2 || countUsers(db) != 1 {
		t.Fatalf("before commit: the tx sees %d users, the platform %d; want 2 and 1", countUsers(tx), countUsers(db))
	}
	_, err = db.PostsGet(map[string]any{"id": post.ID}, "")
	wantError(t, err, NotFound, "")
	if err := tx.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if countUsers(db) != 2 {
		t.Fatalf("after commit: %d users, want 2", countUsers(db))
	}
	if _, err := db.FollowsFindByPair(map[string]any{"follower_id": carol.ID, "followee_id": alice.ID}, ""); err != nil {
		t.Fatalf("the follow after commit: %v", err)
	}
	if _, err := db.PostsGet(map[string]any{"id": post.ID}, ""); err != nil {
		t.Fatalf("the post after commit: %v", err)
	}
	// Over: calls and a second Commit fail; Rollback is a no-op.
	_, err = tx.UsersCount(nil)
	wantError(t, err, FailedPrecondition, "tx")
	wantError(t, tx.Commit(), FailedPrecondition, "tx")
	if err := tx.Rollback(); err != nil {
		t.Fatalf("Rollback after Commit: %v", err)
	}

	// Transact: an error rolls back every write; nil commits.
	boom := errors.New("boom")
	err = db.Transact("read_committed", func(tx *Tx) error {
		_, err := tx.AccountsRegister(map[string]any{"username": "dave", "email": "dave@example.com", "password": "correct horse battery"})
		if err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || countUsers(db) != 2 {
		t.Fatalf("Transact rolling back: %v, %d users (want boom, 2)", err, countUsers(db))
	}
	if err := db.Transact("", func(tx *Tx) error {
		_, err := tx.AccountsRegister(map[string]any{"username": "erin", "email": "erin@example.com", "password": "correct horse battery"})
		return err
	}); err != nil || countUsers(db) != 3 {
		t.Fatalf("Transact committing: %v, %d users (want 3)", err, countUsers(db))
	}

	_, err = db.Begin("chaos")
	wantError(t, err, InvalidArgument, "isolation")

	// Shutdown rolls back a Tx still open: nothing of it is written.
	tx, err = db.Begin("")
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	if _, err := tx.AccountsRegister(map[string]any{"username": "frank", "email": "frank@example.com", "password": "correct horse battery"}); err != nil {
		t.Fatalf("AccountsRegister: %v", err)
	}
	if err := db.Shutdown(); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	_, err = tx.UsersCount(nil)
	wantError(t, err, FailedPrecondition, "")
	wantError(t, tx.Commit(), FailedPrecondition, "")
}

// Every daira_* function in daira_c.h has a Go counterpart: the calls in calls.go, and the library and
// handle functions daira.go wraps by hand.
// The bus, real-time and blob calls: enqueue, claim, a message through a subscription, complete;
// bytes through BlobPut/BlobGet.
func TestBusRealtimeBlobs(t *testing.T) {
	dir := t.TempDir()
	db, err := Open("sqlite:"+filepath.Join(dir, "go.db"),
		map[string]any{"password_cost": "test", "blobs": "file:" + filepath.Join(dir, "blobs")})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	sub, err := db.Subscribe(map[string]any{"target": "topic:jobs"})
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	defer sub.Close()
	if sub.Fd() < 0 {
		t.Errorf("Fd: %d", sub.Fd())
	}
	if _, err := db.BusEnqueue(map[string]any{"queue": "notification.push", "name": "n", "payload": map[string]any{"k": 1}}); err != nil {
		t.Fatalf("BusEnqueue: %v", err)
	}
	var next struct {
		Job *struct {
			ID         string `json:"id"`
			LeaseToken string `json:"lease_token"`
		} `json:"job"`
	}
	if err := db.Call("bus_next", map[string]any{"queue": "notification.push", "worker": "go-1"}, &next); err != nil || next.Job == nil {
		t.Fatalf("bus_next: %v %+v", err, next)
	}
	if _, err := db.RealtimePublish(map[string]any{"channel": "topic:jobs", "payload": next.Job.ID}); err != nil {
		t.Fatalf("RealtimePublish: %v", err)
	}
	var got struct {
		Message *struct {
			Payload string `json:"payload"`
		} `json:"message"`
	}
	msg, err := sub.Next(1000)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	if err := json.Unmarshal(msg, &got); err != nil || got.Message == nil || got.Message.Payload != next.Job.ID {
		t.Fatalf("Next: %s", msg)
	}
	if _, err := db.BusComplete(map[string]any{"id": next.Job.ID, "lease_token": next.Job.LeaseToken}); err != nil {
		t.Fatalf("BusComplete: %v", err)
	}
	if _, err := db.BusComplete(map[string]any{"id": next.Job.ID, "lease_token": next.Job.LeaseToken}); err == nil || err.(*Error).Code != FailedPrecondition {
		t.Errorf("second BusComplete: %v", err)
	}
	if err := sub.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := sub.Next(0); err == nil {
		t.Errorf("Next after Close: no error")
	}

	bytes := []byte{'a', 0, 0xff}
	if _, err := db.BlobPut(map[string]any{"key": "go/a.bin"}, bytes); err != nil {
		t.Fatalf("BlobPut: %v", err)
	}
	data, err := db.BlobGet(map[string]any{"key": "go/a.bin"})
	if err != nil || string(data) != string(bytes) {
		t.Fatalf("BlobGet: %v %q", err, data)
	}
}

func TestEveryFunctionIsWrapped(t *testing.T) {
	header := os.Getenv("DAIRA_C_HEADER")
	if header == "" {
		header = filepath.Join("..", "..", "..", "bindings", "c", "include", "daira_c.h")
	}
	text, err := os.ReadFile(header)
	if err != nil {
		t.Fatalf("reading the header: %v", err)
	}
	declared := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^DAIRA_C_EXPORT [^;]*?\b(daira_\w+)\(`).FindAllStringSubmatch(string(text), -1) {
		declared[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`(?m)^DAIRA_C_(?:RECORD_)?CALL\((daira_\w+)\);`).FindAllStringSubmatch(string(text), -1) {
		declared[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`(?m)^DAIRA_C_ID_CALL\((daira_\w+)\);`).FindAllStringSubmatch(string(text), -1) {
		declared[m[1]+"_by_id"] = true
		declared[m[1]+"_by_id_into"] = true
	}
	for _, m := range regexp.MustCompile(`(?m)^DAIRA_C_RECORD_READS\((\w+)\);`).FindAllStringSubmatch(string(text), -1) {
		for _, verb := range []string{"get", "get_many", "exists", "count"} {
			declared["daira_"+m[1]+"_"+verb] = true
		}
	}
	wrapped := map[string]bool{}
	for _, name := range []string{"version", "code_name", "free", "error_code", "error_message", "error_field",
		"error_violations", "error_free", "platform_open", "platform_shutdown", "platform_close", "platform_ping",
		"transaction_begin", "transaction_commit", "transaction_rollback", "realtime_subscribe", "subscription_next",
		"subscription_fd", "subscription_close", "blob_put", "blob_get"} {
		wrapped["daira_"+name] = true
	}
	for name := range serviceCalls {
		wrapped["daira_"+name] = true
	}
	for name := range recordCalls {
		wrapped["daira_"+name] = true
	}
	for name, c := range idCalls {
		if c.byID != nil {
			wrapped["daira_"+name+"_by_id"] = true
		}
		if c.into != nil {
			wrapped["daira_"+name+"_by_id_into"] = true
		}
	}
	var missing []string
	for name := range declared {
		if !wrapped[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("not wrapped (run gen_calls.go): %s", strings.Join(missing, ", "))
	}
	if len(declared) < 100 {
		t.Errorf("only %d functions found in %s", len(declared), header)
	}
}
