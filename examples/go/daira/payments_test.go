package daira

// A deposit through the local payment provider from Go (docs/money.md "Payments"): the "payments" open
// option configures it, PaymentServiceStartDeposit starts the deposit, PaymentServiceSettle produces the
// signed webhook the provider would POST, and PaymentServiceHandleWebhook applies it — once. Run by
// examples/run_ffi_examples.sh (go test ./daira).

import (
	"path/filepath"
	"testing"
)

type paymentStart struct {
	Movement struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"movement"`
	Payment struct {
		ExternalID string `json:"external_id"`
		Status     string `json:"status"`
	} `json:"payment"`
}

type signedWebhook struct {
	Payload   string `json:"payload"`
	Signature string `json:"signature"`
}

type webhookResult struct {
	Outcome string `json:"outcome"`
}

func TestDepositSettlesThroughTheLocalProvidersWebhookOnce(t *testing.T) {
	db, err := Open("sqlite:"+filepath.Join(t.TempDir(), "pay.db"), map[string]any{
		"password_cost": "test",
		"payments":      []map[string]any{{"provider": "STRIPE", "secret": "whsec_go_example"}},
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	bob := register(t, db, "bob")

	start, err := Decode[paymentStart](db.PaymentServiceStartDeposit(map[string]any{
		"user_id": bob.ID, "amount": 1000, "provider": "STRIPE", "idempotency_key": "go-deposit-1"}))
	if err != nil {
		t.Fatalf("start_deposit: %v", err)
	}
	if start.Movement.Status != "PENDING" || start.Payment.Status != "PENDING" || start.Payment.ExternalID == "" {
		t.Fatalf("start_deposit: got %+v, want a PENDING movement and payment with an external id", start)
	}
	hook, err := Decode[signedWebhook](db.PaymentServiceSettle(map[string]any{"external_id": start.Payment.ExternalID}))
	if err != nil {
		t.Fatalf("settle: %v", err)
	}
	delivery := map[string]any{"provider": "STRIPE", "payload": hook.Payload, "signature": hook.Signature}
	for i, want := range []string{"applied", "duplicate"} { // delivered twice: money moves once
		r, err := Decode[webhookResult](db.PaymentServiceHandleWebhook(delivery))
		if err != nil {
			t.Fatalf("handle_webhook #%d: %v", i+1, err)
		}
		if r.Outcome != want {
			t.Fatalf("handle_webhook #%d: outcome %q, want %q", i+1, r.Outcome, want)
		}
	}
	var balance struct {
		Balance int64 `json:"balance"`
	}
	if err := db.Call("money_balance", map[string]any{"user_id": bob.ID}, &balance); err != nil {
		t.Fatalf("balance: %v", err)
	}
	if balance.Balance != 1000 {
		t.Fatalf("balance %d, want 1000", balance.Balance)
	}

	// A forged signature: UNAUTHENTICATED naming "signature".
	_, err = db.PaymentServiceHandleWebhook(map[string]any{
		"provider": "STRIPE", "payload": hook.Payload, "signature": "t=1,v1=" + hook.Signature[len(hook.Signature)-64:]})
	wantError(t, err, Unauthenticated, "signature")
}
