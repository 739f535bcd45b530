// Package daira calls libdaira_c.so (daira's C ABI) through cgo. Every daira_* function has a Go
// counterpart: one typed method per service call (request in, record JSON out) and per record call
// (request and field mask in), generated into calls.go from daira_c.h; Open, Ping, Shutdown and Close
// for the handle; Begin, Commit and Rollback for transactions; Version and Code.String for the
// library; errors come back as *Error (code, message, field at fault, every violation). Decode turns a
// method's JSON into a Go value, and Call runs any call by name. The single-record gets also come as
// <Call>ByID(id int64) methods (UsersGetByID, ProfilesStatsByID, …): no request JSON, the record read
// straight into a Go buffer.
//
//	db, err := daira.Open("sqlite:/tmp/app.db", map[string]any{"password_cost": "test"})
//	var alice struct{ ID string `json:"id"` }
//	err = db.Call("accounts_register", map[string]any{"username": "alice", ...}, &alice)
//	wallet, err := daira.Decode[Wallet](db.WalletsGet(map[string]any{"id": id}, "balance,currency"))
//	err = db.Transact("", func(tx *daira.Tx) error {   // both writes commit together, or neither
//		if _, err := tx.SocialFollow(follow); err != nil {
//			return err
//		}
//		_, err := tx.ContentCreatePost(post)
//		return err
//	})
//	db.Close()
//
// Build with CGO_CFLAGS=-I<prefix>/include and CGO_LDFLAGS="-L<libdir> -Wl,-rpath,<libdir>".
//
// Ownership: strings the library returns are copied into Go and freed with daira_free at once; error
// objects are freed after their fields are read. Errors are per call (never thread-local), so a
// goroutine moving between OS threads mid-call sequence is fine. A *Platform is safe for concurrent
// use; Close waits for calls in flight (daira_platform_shutdown) before freeing the handle. A *Tx is
// safe for concurrent use too (the library runs its calls one at a time); Commit and Rollback wait for
// its calls in flight.
package daira

/*
#cgo LDFLAGS: -ldaira_c
#include <stdlib.h>
#include "daira_c.h"

// cgo cannot call a C function pointer directly: these trampolines do.
static daira_code daira_go_call(daira_call_fn fn, daira_platform_t* p, const char* req, size_t len,
                                char** out, daira_error_t** err) {
  return fn(p, req, len, out, err);
}
static daira_code daira_go_record(daira_record_fn fn, daira_platform_t* p, const char* req, size_t len,
                                  const char* fields, char** out, daira_error_t** err) {
  return fn(p, req, len, fields, out, err);
}
static daira_code daira_go_into(daira_id_into_fn fn, daira_platform_t* p, int64_t id, char* buf, size_t cap,
                                size_t* len, daira_error_t** err) {
  return fn(p, id, buf, cap, len, err);
}
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"sync"
	"unsafe"
)

// Code is a daira_code; the values equal absl::StatusCode.
type Code int

const (
	OK                 Code = 0
	Cancelled          Code = 1
	Unknown            Code = 2
	InvalidArgument    Code = 3
	DeadlineExceeded   Code = 4
	NotFound           Code = 5
	AlreadyExists      Code = 6
	PermissionDenied   Code = 7
	ResourceExhausted  Code = 8
	FailedPrecondition Code = 9
	Aborted            Code = 10
	OutOfRange         Code = 11
	Unimplemented      Code = 12
	Internal           Code = 13
	Unavailable        Code = 14
	DataLoss           Code = 15
	Unauthenticated    Code = 16
)

func (c Code) String() string { return C.GoString(C.daira_code_name(C.daira_code(c))) }

// Violation is one broken rule of a rejected request.
type Violation struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is a failed call.
type Error struct {
	Code       Code
	Message    string
	Field      string // "" when the error names no field
	Violations []Violation
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// takeError copies and frees a failed call's error object.
func takeError(code C.daira_code, cerr *C.daira_error_t) *Error {
	e := &Error{Code: Code(code), Message: Code(code).String()}
	if cerr != nil {
		e.Message = C.GoString(C.daira_error_message(cerr))
		e.Field = C.GoString(C.daira_error_field(cerr))
		_ = json.Unmarshal([]byte(C.GoString(C.daira_error_violations(cerr))), &e.Violations)
		C.daira_error_free(&cerr)
	}
	return e
}

// bytesArg passes Go bytes as (const char*, size_t) for the duration of one call.
func bytesArg(b []byte) (*C.char, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.char)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

// Version is the library's version.
func Version() string { return C.GoString(C.daira_version()) }

// calls carries the typed call methods (calls.go), Call and Ping for the two kinds of handle, Platform
// and Tx, which embed it: `h` runs one C call on the handle.
type calls struct {
	h handle
}

type handle interface {
	// run holds the handle for one call; `c` makes the C call and returns its code.
	run(name string, c func(h *C.daira_platform_t, out **C.char, cerr **C.daira_error_t) C.daira_code) ([]byte, error)
	// use holds the handle while `f` makes its C calls; an *Error when the handle is closed.
	use(name string, f func(h *C.daira_platform_t)) error
}

// idCall is a typed single-id call's two C forms (daira_c.h, DAIRA_C_ID_CALL).
type idCall struct {
	byID C.daira_id_call_fn
	into C.daira_id_into_fn
}

// Platform is an open database and its services.
type Platform struct {
	calls
	mu     sync.RWMutex // held shared by calls, exclusively by Close
	handle *C.daira_platform_t
}

func newPlatform(h *C.daira_platform_t) *Platform {
	p := &Platform{handle: h}
	p.calls.h = p
	return p
}

// Open opens the database `url` names; options is encoded as the options JSON (nil for defaults).
func Open(url string, options any) (*Platform, error) {
	var opts []byte
	if options != nil {
		var err error
		if opts, err = json.Marshal(options); err != nil {
			return nil, err
		}
	}
	u, ulen := bytesArg([]byte(url))
	o, olen := bytesArg(opts)
	var handle *C.daira_platform_t
	var cerr *C.daira_error_t
	if code := C.daira_platform_open(u, ulen, o, olen, &handle, &cerr); code != 0 {
		return nil, takeError(code, cerr)
	}
	return newPlatform(handle), nil
}

// Call runs daira_<name> (e.g. "feed_home", or a record call such as "wallets_get" with every field)
// with `request` encoded as JSON and decodes the record into `response` (which may be nil).
func (c *calls) Call(name string, request any, response any) error {
	var record []byte
	var err error
	if fn, ok := serviceCalls[name]; ok {
		record, err = c.invoke(name, fn, request)
	} else if fn, ok := recordCalls[name]; ok {
		record, err = c.invokeRecord(name, fn, request, "")
	} else {
		return fmt.Errorf("daira: unknown call %q", name)
	}
	if err != nil || response == nil {
		return err
	}
	return json.Unmarshal(record, response)
}

// Decode unmarshals the JSON a call method returned into a T, passing the call's error through:
//
//	w, err := daira.Decode[Wallet](db.WalletsGet(map[string]any{"id": id}, ""))
func Decode[T any](record []byte, err error) (T, error) {
	var v T
	if err != nil {
		return v, err
	}
	err = json.Unmarshal(record, &v)
	return v, err
}

// encode marshals a request: []byte and json.RawMessage are sent as they are, nil as "".
func encode(request any) ([]byte, error) {
	switch r := request.(type) {
	case nil:
		return nil, nil
	case []byte:
		return r, nil
	case json.RawMessage:
		return r, nil
	}
	return json.Marshal(request)
}

// run holds the handle shared for one call; `c` makes the C call and returns its code.
func (p *Platform) run(name string, c func(h *C.daira_platform_t, out **C.char, cerr **C.daira_error_t) C.daira_code) ([]byte, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.handle == nil {
		return nil, &Error{Code: FailedPrecondition, Message: name + ": platform is closed", Field: "platform"}
	}
	return runOn(p.handle, c)
}

// use holds the handle shared while `f` runs.
func (p *Platform) use(name string, f func(h *C.daira_platform_t)) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.handle == nil {
		return &Error{Code: FailedPrecondition, Message: name + ": platform is closed", Field: "platform"}
	}
	f(p.handle)
	return nil
}

// runOn makes one C call on `h` and copies its record out.
func runOn(h *C.daira_platform_t, c func(h *C.daira_platform_t, out **C.char, cerr **C.daira_error_t) C.daira_code) ([]byte, error) {
	var out *C.char
	var cerr *C.daira_error_t
	if code := c(h, &out, &cerr); code != 0 {
		return nil, takeError(code, cerr)
	}
	if out == nil {
		return nil, nil
	}
	record := []byte(C.GoString(out))
	C.daira_free(unsafe.Pointer(out))
	return record, nil
}

// invoke runs a service call.
func (c *calls) invoke(name string, fn C.daira_call_fn, request any) ([]byte, error) {
	body, err := encode(request)
	if err != nil {
		return nil, err
	}
	return c.h.run(name, func(h *C.daira_platform_t, out **C.char, cerr **C.daira_error_t) C.daira_code {
		req, reqLen := bytesArg(body)
		return C.daira_go_call(fn, h, req, reqLen, out, cerr)
	})
}

// idBufferSize is the first buffer a typed single-id call gets: most records fit, a larger one is read
// again into a buffer of the size the library reports.
const idBufferSize = 1024

// invokeByID runs a typed single-id call's _by_id_into form into a Go buffer: no request JSON to encode
// and parse, no C allocation to copy and free.
func (c *calls) invokeByID(name string, fn C.daira_id_into_fn, id int64) ([]byte, error) {
	buf := make([]byte, idBufferSize)
	var code C.daira_code
	var n C.size_t
	var cerr *C.daira_error_t
	err := c.h.use(name, func(h *C.daira_platform_t) {
		for {
			code = C.daira_go_into(fn, h, C.int64_t(id), (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), &n, &cerr)
			if code != C.DAIRA_RESOURCE_EXHAUSTED || int(n) <= len(buf) {
				return
			}
			buf = make([]byte, int(n)) // too small: the size it needs is in n
		}
	})
	if err != nil {
		return nil, err
	}
	if code != 0 {
		return nil, takeError(code, cerr)
	}
	return buf[:n], nil
}

// invokeRecord runs a record call with the field mask `fields` ("" = every field).
func (c *calls) invokeRecord(name string, fn C.daira_record_fn, request any, fields string) ([]byte, error) {
	body, err := encode(request)
	if err != nil {
		return nil, err
	}
	var cfields *C.char
	if fields != "" {
		cfields = C.CString(fields)
		defer C.free(unsafe.Pointer(cfields))
	}
	return c.h.run(name, func(h *C.daira_platform_t, out **C.char, cerr **C.daira_error_t) C.daira_code {
		req, reqLen := bytesArg(body)
		return C.daira_go_record(fn, h, req, reqLen, cfields, out, cerr)
	})
}

// Ping makes one round trip to the database (daira_platform_ping); on a Tx, on its connection.
func (c *calls) Ping() error {
	_, err := c.h.run("ping", func(h *C.daira_platform_t, _ **C.char, cerr **C.daira_error_t) C.daira_code {
		return C.daira_platform_ping(h, cerr)
	})
	return err
}

// Shutdown releases the backends but keeps the handle (daira_platform_shutdown): later calls fail with
// FailedPrecondition "platform is closed". It waits for calls in flight; Close still frees the handle.
func (p *Platform) Shutdown() error {
	_, err := p.run("shutdown", func(h *C.daira_platform_t, _ **C.char, cerr **C.daira_error_t) C.daira_code {
		return C.daira_platform_shutdown(h, cerr)
	})
	return err
}

// Close shuts the platform down and frees the handle; later calls fail with FailedPrecondition.
func (p *Platform) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.handle == nil {
		return nil
	}
	var cerr *C.daira_error_t
	code := C.daira_platform_close(&p.handle, &cerr)
	if code != 0 {
		return takeError(code, cerr)
	}
	return nil
}

// Tx is one database transaction (daira_transaction_begin): it offers every call a Platform does, and
// each runs inside the transaction, seeing its uncommitted writes. A call that fails undoes only its
// own writes; the transaction goes on. End it with Commit or Rollback (Rollback after Commit is a
// no-op, so `defer tx.Rollback()` is safe); until then it holds one pooled connection (on SQLite the
// one writer: other transactions and the platform's writes wait for it). Platform.Shutdown or Close roll back a Tx still open: its calls and Commit then fail
// with FailedPrecondition.
type Tx struct {
	calls
	mu     sync.RWMutex // held shared by calls, exclusively by Commit and Rollback
	handle *C.daira_platform_t
}

// Begin starts a transaction. isolation is "" (the backend's default), "default", "read_committed",
// "repeatable_read" or "serializable" (PostgreSQL; SQLite's transactions are always serializable).
func (p *Platform) Begin(isolation string) (*Tx, error) {
	var opts []byte
	if isolation != "" {
		opts, _ = json.Marshal(map[string]string{"isolation": isolation})
	}
	var txHandle *C.daira_platform_t
	_, err := p.run("transaction_begin", func(h *C.daira_platform_t, _ **C.char, cerr **C.daira_error_t) C.daira_code {
		o, olen := bytesArg(opts)
		return C.daira_transaction_begin(h, o, olen, &txHandle, cerr)
	})
	if err != nil {
		return nil, err
	}
	tx := &Tx{handle: txHandle}
	tx.calls.h = tx
	return tx, nil
}

// Transact runs fn in a transaction (see Begin for isolation): it commits when fn returns nil, and
// rolls back and returns fn's error otherwise. An Aborted commit means: run it all again.
func (p *Platform) Transact(isolation string, fn func(tx *Tx) error) error {
	tx, err := p.Begin(isolation)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func (tx *Tx) use(name string, f func(h *C.daira_platform_t)) error {
	tx.mu.RLock()
	defer tx.mu.RUnlock()
	if tx.handle == nil {
		return &Error{Code: FailedPrecondition, Message: name + ": the transaction is over", Field: "tx"}
	}
	f(tx.handle)
	return nil
}

func (tx *Tx) run(name string, c func(h *C.daira_platform_t, out **C.char, cerr **C.daira_error_t) C.daira_code) ([]byte, error) {
	tx.mu.RLock()
	defer tx.mu.RUnlock()
	if tx.handle == nil {
		return nil, &Error{Code: FailedPrecondition, Message: name + ": the transaction is over", Field: "tx"}
	}
	return runOn(tx.handle, c)
}

// Commit commits the transaction (daira_transaction_commit) and ends it whatever the outcome: a failed
// commit rolls back (Aborted: retry the whole transaction; FailedPrecondition: the platform shut down
// first and nothing was written). FailedPrecondition once the transaction is over.
func (tx *Tx) Commit() error {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.handle == nil {
		return &Error{Code: FailedPrecondition, Message: "commit: the transaction is over", Field: "tx"}
	}
	var cerr *C.daira_error_t
	if code := C.daira_transaction_commit(&tx.handle, &cerr); code != 0 {
		return takeError(code, cerr)
	}
	return nil
}

// Rollback discards the transaction's writes (daira_transaction_rollback) and ends it; a no-op once it
// is over.
func (tx *Tx) Rollback() error {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.handle == nil {
		return nil
	}
	var cerr *C.daira_error_t
	if code := C.daira_transaction_rollback(&tx.handle, &cerr); code != 0 {
		return takeError(code, cerr)
	}
	return nil
}
