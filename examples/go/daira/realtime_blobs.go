// The C ABI functions that are not plain service calls: real-time subscriptions (an opaque handle the
// caller pulls from; no callbacks) and the blob calls that carry bytes beside the JSON request.
//
//	sub, err := db.Subscribe(map[string]any{"target": "topic:jobs"})
//	msg, err := sub.Next(500)   // {"message": {...} | null, "dropped": n, "interruptions": n}
//	sub.Close()
//	info, err := db.BlobPut(map[string]any{"key": "media/a.jpg"}, jpegBytes)
//	data, err := db.BlobGet(map[string]any{"key": "media/a.jpg"})
package daira

/*
#include <stdlib.h>
#include "daira_c.h"
*/
import "C"

import (
	"sync"
	"unsafe"
)

// Subscription is a daira_subscription_t: a real-time subscription to a channel or pattern. Safe for
// concurrent use (each message goes to one Next caller); Close waits for calls in flight.
type Subscription struct {
	mu sync.RWMutex
	h  *C.daira_subscription_t
}

// Subscribe subscribes to a channel or pattern (daira_realtime_subscribe): request {target, queue_size,
// slow_consumer, resume_from}. Close the subscription when done.
func (c *calls) Subscribe(request any) (*Subscription, error) {
	body, err := encode(request)
	if err != nil {
		return nil, err
	}
	var sub *C.daira_subscription_t
	_, err = c.h.run("realtime_subscribe", func(h *C.daira_platform_t, _ **C.char, cerr **C.daira_error_t) C.daira_code {
		req, reqLen := bytesArg(body)
		return C.daira_realtime_subscribe(h, req, reqLen, &sub, cerr)
	})
	if err != nil {
		return nil, err
	}
	return &Subscription{h: sub}, nil
}

// Next returns {"message": Message | null, "dropped": n, "interruptions": n}, waiting at most
// timeoutMs (0..60000) for a message (daira_subscription_next).
func (s *Subscription) Next(timeoutMs int) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.h == nil {
		return nil, &Error{Code: InvalidArgument, Message: "subscription.next: subscription is closed", Field: "subscription"}
	}
	var out *C.char
	var cerr *C.daira_error_t
	if code := C.daira_subscription_next(s.h, C.int(timeoutMs), &out, &cerr); code != 0 {
		return nil, takeError(code, cerr)
	}
	record := []byte(C.GoString(out))
	C.daira_free(unsafe.Pointer(out))
	return record, nil
}

// Fd is a descriptor that polls readable while a message is queued (daira_subscription_fd); -1 once
// closed. Never read or close it.
func (s *Subscription) Fd() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return int(C.daira_subscription_fd(s.h))
}

// Close unsubscribes and frees the handle (daira_subscription_close). Idempotent.
func (s *Subscription) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h == nil {
		return nil
	}
	var cerr *C.daira_error_t
	code := C.daira_subscription_close(&s.h, &cerr)
	s.h = nil
	if code != 0 {
		return takeError(code, cerr)
	}
	return nil
}

// BlobPut stores data under request {key, content_type} and returns the ObjectInfo JSON (daira_blob_put).
func (c *calls) BlobPut(request any, data []byte) ([]byte, error) {
	body, err := encode(request)
	if err != nil {
		return nil, err
	}
	return c.h.run("blob_put", func(h *C.daira_platform_t, out **C.char, cerr **C.daira_error_t) C.daira_code {
		req, reqLen := bytesArg(body)
		ptr, n := bytesArg(data)
		return C.daira_blob_put(h, req, reqLen, unsafe.Pointer(ptr), n, out, cerr)
	})
}

// BlobGet returns the bytes of request {key, offset, length} (daira_blob_get).
func (c *calls) BlobGet(request any) ([]byte, error) {
	body, err := encode(request)
	if err != nil {
		return nil, err
	}
	var data []byte
	_, err = c.h.run("blob_get", func(h *C.daira_platform_t, _ **C.char, cerr **C.daira_error_t) C.daira_code {
		req, reqLen := bytesArg(body)
		var cdata *C.char
		var n C.size_t
		code := C.daira_blob_get(h, req, reqLen, &cdata, &n, cerr)
		if code == 0 {
			data = C.GoBytes(unsafe.Pointer(cdata), C.int(n))
			C.daira_free(unsafe.Pointer(cdata))
		}
		return code
	})
	if err != nil {
		return nil, err
	}
	return data, nil
}
