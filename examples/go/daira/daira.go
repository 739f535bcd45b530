// Package daira calls libdaira_c.so (daira's C ABI) through cgo: each call takes a Go value, sends it
// as JSON and decodes the JSON record into another, or returns an *Error with the code, the field at
// fault and every violation.
//
//	db, err := daira.Open("sqlite:/tmp/app.db", map[string]any{"password_cost": "test"})
//	var alice daira.User
//	err = db.Call("accounts_register", map[string]any{"username": "alice", ...}, &alice)
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

// cgo cannot call a C function pointer directly: this trampoline does.
static daira_code daira_go_call(daira_call_fn fn, daira_platform_t* p, const char* req, size_t len,
                                char** out, daira_error_t** err) {
  return fn(p, req, len, out, err);
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
	InvalidArgument    Code = 3
	NotFound           Code = 5
	AlreadyExists      Code = 6
	PermissionDenied   Code = 7
	FailedPrecondition Code = 9
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

// Call runs daira_<name> (e.g. "feed_home") with `request` encoded as JSON and decodes the record
// into `response` (which may be nil).
func (p *Platform) Call(name string, request any, response any) error {
	fn, err := lookup(name)
	if err != nil {
		return err
	}
	body, err := json.Marshal(request)
	if err != nil {
		return err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.handle == nil {
		return &Error{Code: FailedPrecondition, Message: name + ": platform is closed", Field: "platform"}
	}
	req, reqLen := bytesArg(body)
	var out *C.char
	var cerr *C.daira_error_t
	if code := C.daira_go_call(fn, p.handle, req, reqLen, &out, &cerr); code != 0 {
		return takeError(code, cerr)
	}
	record := C.GoString(out)
	C.daira_free(unsafe.Pointer(out))
	if response == nil {
		return nil
	}
	return json.Unmarshal([]byte(record), response)
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
