// Package daira calls libdaira_c.so (daira's C ABI) through cgo. Every daira_* function has a Go
// counterpart: one typed method per service call (request in, record JSON out) and per record call
// (request and field mask in), generated into calls.go from daira_c.h; Open, Ping, Shutdown and Close
// for the handle; Version and Code.String for the library; errors come back as *Error (code, message,
// field at fault, every violation). Decode turns a method's JSON into a Go value, and Call runs any
// call by name.
//
//	db, err := daira.Open("sqlite:/tmp/app.db", map[string]any{"password_cost": "test"})
//	var alice struct{ ID string `json:"id"` }
//	err = db.Call("accounts_register", map[string]any{"username": "alice", ...}, &alice)
//	wallet, err := daira.Decode[Wallet](db.WalletsGet(map[string]any{"id": id}, "balance,currency"))
//	db.Close()
//
// Build with CGO_CFLAGS=-I<prefix>/include and CGO_LDFLAGS="-L<libdir> -Wl,-rpath,<libdir>".
//
// Ownership: strings the library returns are copied into Go and freed with daira_free at once; error
// objects are freed after their fields are read. Errors are per call (never thread-local), so a
// goroutine moving between OS threads mid-call sequence is fine. A *Platform is safe for concurrent
// use; Close waits for calls in flight (daira_platform_shutdown) before freeing the handle.
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

// Platform is an open database and its services.
type Platform struct {
	mu     sync.RWMutex // held shared by calls, exclusively by Close
	handle *C.daira_platform_t
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
	return &Platform{handle: handle}, nil
}

// Call runs daira_<name> (e.g. "feed_home", or a record call such as "wallets_get" with every field)
// with `request` encoded as JSON and decodes the record into `response` (which may be nil).
func (p *Platform) Call(name string, request any, response any) error {
	var record []byte
	var err error
	if fn, ok := serviceCalls[name]; ok {
		record, err = p.invoke(name, fn, request)
	} else if fn, ok := recordCalls[name]; ok {
		record, err = p.invokeRecord(name, fn, request, "")
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
	var out *C.char
	var cerr *C.daira_error_t
	if code := c(p.handle, &out, &cerr); code != 0 {
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
func (p *Platform) invoke(name string, fn C.daira_call_fn, request any) ([]byte, error) {
	body, err := encode(request)
	if err != nil {
		return nil, err
	}
	return p.run(name, func(h *C.daira_platform_t, out **C.char, cerr **C.daira_error_t) C.daira_code {
		req, reqLen := bytesArg(body)
		return C.daira_go_call(fn, h, req, reqLen, out, cerr)
	})
}

// invokeRecord runs a record call with the field mask `fields` ("" = every field).
func (p *Platform) invokeRecord(name string, fn C.daira_record_fn, request any, fields string) ([]byte, error) {
	body, err := encode(request)
	if err != nil {
		return nil, err
	}
	var cfields *C.char
	if fields != "" {
		cfields = C.CString(fields)
		defer C.free(unsafe.Pointer(cfields))
	}
	return p.run(name, func(h *C.daira_platform_t, out **C.char, cerr **C.daira_error_t) C.daira_code {
		req, reqLen := bytesArg(body)
		return C.daira_go_record(fn, h, req, reqLen, cfields, out, cerr)
	})
}

// Ping makes one round trip to the database (daira_platform_ping).
func (p *Platform) Ping() error {
	_, err := p.run("ping", func(h *C.daira_platform_t, _ **C.char, cerr **C.daira_error_t) C.daira_code {
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
