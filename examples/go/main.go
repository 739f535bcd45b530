// daira from Go through the C ABI (cgo): open an embedded database, register two users, follow and
// post in one transaction, read the feed, tip, refund part of the tip (replayed by its key, an
// over-refund refused). Prints fixed lines ending with "go example: ok".
//
//	CGO_CFLAGS=-I<prefix>/include CGO_LDFLAGS="-L<libdir> -Wl,-rpath,<libdir>" go run .
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"daira.dev/examples/go/daira"
)

// Records as the C ABI returns them (only the fields this story reads). Ids are decimal strings.
type User struct {
	ID       string `json:"id"`
	Username string `json:"username"`
}

type Post struct {
	ID       string   `json:"id"`
	Content  string   `json:"content"`
	Hashtags []string `json:"hashtags"`
	Author   *struct {
		Username string `json:"username"`
	} `json:"author"`
}

// A money movement and a wallet balance (docs/money.md), the fields this story reads.
type Movement struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Amount   int64  `json:"amount"`
	RefundOf string `json:"refund_of"`
}

type Balance struct {
	Balance int64 `json:"balance"`
}

type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
	HasMore    bool   `json:"has_more"`
}

func run() error {
	dir, err := os.MkdirTemp("", "daira-go-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	fmt.Printf("daira %s from go\n", daira.Version())
	// password_cost "test": the cheapest argon2id cost, for examples and tests only.
	db, err := daira.Open("sqlite:"+filepath.Join(dir, "app.db"), map[string]any{"password_cost": "test"})
	if err != nil {
		return err
	}
	defer db.Close()

	var alice, bob User
	if err := db.Call("accounts_register", map[string]any{
		"username": "alice", "email": "alice@example.com", "password": "correct horse battery"}, &alice); err != nil {
		return err
	}
	if err := db.Call("accounts_register", map[string]any{
		"username": "bob", "email": "bob@example.com", "password": "correct horse battery"}, &bob); err != nil {
		return err
	}
	fmt.Printf("registered %s and %s\n", alice.Username, bob.Username)

	// Two writes in one transaction: bob's follow and alice's post commit together, or neither does
	// (Transact rolls back when the function returns an error).
	var post Post
	err = db.Transact("", func(tx *daira.Tx) error {
		if err := tx.Call("social_follow", map[string]any{"follower_id": bob.ID, "followee_id": alice.ID}, nil); err != nil {
			return err
		}
		fmt.Println("bob follows alice")
		if err := tx.Call("content_create_post", map[string]any{
			"author_id": alice.ID, "content": "hello from go #daira"}, &post); err != nil {
			return err
		}
		fmt.Printf("alice posted: %s (hashtags: %s)\n", post.Content, strings.Join(post.Hashtags, ","))
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Println("committed: the follow and the post, in one transaction")

	var feed Page[Post]
	if err := db.Call("feed_home", map[string]any{"viewer_id": bob.ID, "limit": 20}, &feed); err != nil {
		return err
	}
	fmt.Printf("bob's home feed: %d post(s)\n", len(feed.Items))
	for _, item := range feed.Items {
		fmt.Printf("  @%s: %s\n", item.Author.Username, item.Content)
	}
	if len(feed.Items) != 1 || feed.Items[0].ID != post.ID {
		return errors.New("the feed does not hold the post")
	}

	// Money: bob deposits 10.00 USD (the provider confirms it), then tips alice 2.50 USD.
	var dep, tip Movement
	if err := db.Call("money_deposit", map[string]any{"user_id": bob.ID, "amount": 1000, "provider": "STRIPE",
		"idempotency_key": "story-deposit-1"}, &dep); err != nil {
		return err
	}
	if err := db.Call("money_confirm_deposit", map[string]any{"transaction_id": dep.ID}, nil); err != nil {
		return err
	}
	if err := db.Call("money_tip", map[string]any{"sender_id": bob.ID, "receiver_id": alice.ID, "amount": 250,
		"idempotency_key": "story-tip-1"}, &tip); err != nil {
		return err
	}
	var balance Balance
	if err := db.Call("money_balance", map[string]any{"user_id": alice.ID}, &balance); err != nil {
		return err
	}
	fmt.Printf("bob tipped alice %d cents; alice's balance: %d\n", tip.Amount, balance.Balance)

	// Refund 1.00 USD of the tip: alice gives it back; the same key again returns the same refund.
	refundReq := map[string]any{"transaction_id": tip.ID, "amount": 100, "idempotency_key": "story-refund-1",
		"reason": "changed my mind"}
	var refund, again Movement
	if err := db.Call("money_refund", refundReq, &refund); err != nil {
		return err
	}
	if refund.Type != "REFUND" || refund.Amount != 100 || refund.RefundOf != tip.ID {
		return fmt.Errorf("refund: got %+v, want a REFUND of 100 of %s", refund, tip.ID)
	}
	if err := db.Call("money_refund", refundReq, &again); err != nil {
		return err
	}
	if again.ID != refund.ID {
		return fmt.Errorf("refund replayed with its key: got movement %s, want %s", again.ID, refund.ID)
	}
	if err := db.Call("money_balance", map[string]any{"user_id": alice.ID}, &balance); err != nil {
		return err
	}
	fmt.Printf("refunded %d cents of the tip; alice's balance: %d\n", refund.Amount, balance.Balance)
	var rerr *daira.Error
	err = db.Call("money_refund", map[string]any{"transaction_id": tip.ID, "amount": 200,
		"idempotency_key": "story-refund-2"}, nil)
	if !errors.As(err, &rerr) {
		return fmt.Errorf("refunding more than remains: got %v, want a daira error", err)
	}
	fmt.Printf("refund of 200 more: %s (field %s)\n", rerr.Code, rerr.Field)

	var derr *daira.Error
	err = db.Call("accounts_register", map[string]any{
		"username": "alice", "email": "other@example.com", "password": "correct horse battery"}, nil)
	if !errors.As(err, &derr) {
		return fmt.Errorf("a second alice: got %v, want a daira error", err)
	}
	fmt.Printf("second alice: %s (field %s)\n", derr.Code, derr.Field)

	if err := db.Close(); err != nil {
		return err
	}
	err = db.Call("users_get", map[string]any{"id": alice.ID}, nil)
	if !errors.As(err, &derr) {
		return fmt.Errorf("a call after close: got %v, want a daira error", err)
	}
	fmt.Printf("after close: %s\n", derr.Code)
	fmt.Println("go example: ok")
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "go example:", err)
		os.Exit(1)
	}
}
