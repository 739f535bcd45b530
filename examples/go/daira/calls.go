package daira

/*
#include "daira_c.h"
*/
import "C"

import "fmt"

// The service calls by name. cgo needs each C symbol named in Go source, so the table lists them.
var callTable = map[string]C.daira_call_fn{
	"accounts_register":      C.daira_call_fn(C.daira_accounts_register),
	"accounts_login":         C.daira_call_fn(C.daira_accounts_login),
	"users_get":              C.daira_call_fn(C.daira_users_get),
	"users_find_by_username": C.daira_call_fn(C.daira_users_find_by_username),
	"profiles_stats":         C.daira_call_fn(C.daira_profiles_stats),
	"social_follow":          C.daira_call_fn(C.daira_social_follow),
	"social_followers":       C.daira_call_fn(C.daira_social_followers),
	"content_create_post":    C.daira_call_fn(C.daira_content_create_post),
	"feed_home":              C.daira_call_fn(C.daira_feed_home),
	"feed_timeline":          C.daira_call_fn(C.daira_feed_timeline),
	"search_users":           C.daira_call_fn(C.daira_search_users),
}

func lookup(name string) (C.daira_call_fn, error) {
	fn, ok := callTable[name]
	if !ok {
		return nil, fmt.Errorf("daira: unknown call %q", name)
	}
	return fn, nil
}
