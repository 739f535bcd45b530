"""p.payments' provider flow on every SQL backend: a deposit started through a local provider configured
with daira.open(payments=...), settled by its signed webhook (money moves once), webhooks delivered twice,
out of order, forged, stale, and signed by someone else holding the secret (as Stripe signs them: the
test signs with Python's hmac); refused calls raise the daira exception naming the field."""

import hashlib
import hmac
import json
import time

import pytest

import daira
from conftest import register

SECRET = "whsec_py_test_0123456789"


@pytest.fixture
def pay(db_url):
    p = daira.open(db_url, password_cost="test", payments={"STRIPE": SECRET, "PAYPAL": {"secret": "whsec_pp", "tolerance": 60}})
    try:
        yield p
    finally:
        p.close()


def stripe_signature(payload: str, t: int, secret: str = SECRET) -> str:
    """The Stripe-Signature header Stripe would send: t=<unix>,v1=hex(HMAC-SHA256(secret, "<t>.<payload>"))."""
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(event_id: str, external_id: str, kind: str = "payment_intent.succeeded") -> str:
    return json.dumps({"id": event_id, "type": kind, "data": {"object": {"id": external_id}}})


def start(p, user, key, amount=2500, **kw):
    return p.payments.start_deposit(user_id=user.id, amount=amount, provider="STRIPE", idempotency_key=key, **kw)


def test_deposit_settles_through_the_webhook_once(pay):
    alice = register(pay, "alice")
    s = start(pay, alice, "dep-pp-0001")
    assert s["movement"]["status"] == "PENDING" and s["movement"]["type"] == "DEPOSIT"
    assert s["payment"].status == "PENDING" and s["payment"].provider == "STRIPE"
    assert s["client_secret"] != ""
    assert pay.money.balance(alice.id).balance == 0
    # Retried with its key: the same movement and payment, no second intent.
    again = start(pay, alice, "dep-pp-0001")
    assert again["movement"] == s["movement"] and again["payment"].id == s["payment"].id
    assert pay.payments.count(user_id=alice.id) == 1

    payload, signature = pay.payments.settle(s["payment"].external_id)
    assert json.loads(payload)["type"] == "payment_intent.succeeded"
    assert signature.startswith("t=")
    r = pay.payments.handle_webhook("STRIPE", payload, signature)
    assert r["outcome"] == "applied"
    assert r["movement"]["status"] == "COMPLETED" and r["movement"]["id"] == s["movement"]["id"]
    assert r["payment"].status == "COMPLETED"
    assert pay.money.balance(alice.id).balance == 2500

    # The same delivery again (bytes, as an HTTP body arrives): duplicate, money once.
    dup = pay.payments.handle_webhook("STRIPE", payload.encode(), signature)
    assert dup["outcome"] == "duplicate" and dup["movement"] is None and dup["payment"] is None
    assert pay.money.balance(alice.id).balance == 2500

    # Out of order: "failed" after "succeeded" is ignored and changes nothing.
    late = pay.payments.handle_webhook("STRIPE", *pay.payments.settle(s["payment"].external_id, succeeded=False))
    assert late["outcome"] == "ignored" and late["payment"].status == "COMPLETED"
    assert pay.money.balance(alice.id).balance == 2500
    assert pay.payments.get(s["payment"].id).status == "COMPLETED"


def test_failed_webhook_fails_the_deposit(pay):
    alice = register(pay, "alice")
    s = start(pay, alice, "dep-pp-0002", amount=900)
    r = pay.payments.handle_webhook("STRIPE", *pay.payments.settle(s["payment"].external_id, succeeded=False))
    assert r["outcome"] == "applied" and r["movement"]["status"] == "FAILED"
    assert r["payment"].status == "FAILED" and r["payment"].error == "declined (local)"
    late = pay.payments.handle_webhook("STRIPE", *pay.payments.settle(s["payment"].external_id))
    assert late["outcome"] == "ignored"
    assert pay.money.balance(alice.id).balance == 0


def test_webhook_signed_elsewhere_with_the_secret_settles_an_intent_the_app_created(pay):
    # The application created the intent at Stripe itself and records its id; Stripe then POSTs the
    # event signed with the endpoint's secret — here signed by the test with hmac, not by daira.
    alice = register(pay, "alice")
    s = start(pay, alice, "dep-pp-0003", amount=1200, external_id="pi_3Pabc123XYZ")
    assert s["payment"].external_id == "pi_3Pabc123XYZ" and s["client_secret"] == ""
    body = event("evt_1Pabc", "pi_3Pabc123XYZ")
    r = pay.payments.handle_webhook("STRIPE", body, stripe_signature(body, int(time.time())))
    assert r["outcome"] == "applied" and r["payment"].status == "COMPLETED"
    assert pay.money.balance(alice.id).balance == 1200
    # Stripe sends one v1 per active secret (rotation): one matching is enough.
    body2 = event("evt_1Pabd", "pi_3Pabc123XYZ")
    t = int(time.time())
    rotated = f"t={t},v1={'0' * 64}," + stripe_signature(body2, t).split(",", 1)[1]
    assert pay.payments.handle_webhook("STRIPE", body2, rotated)["outcome"] == "applied"  # confirms nothing new
    assert pay.money.balance(alice.id).balance == 1200
    # Same key, another external id: refused, naming the field.
    with pytest.raises(daira.FailedPrecondition) as e:
        start(pay, alice, "dep-pp-0003", amount=1200, external_id="pi_other")
    assert e.value.field == "external_id"
    with pytest.raises(daira.InvalidArgument) as e:
        start(pay, alice, "dep-pp-0004", amount=5, external_id="has space")
    assert e.value.field == "external_id"
    assert pay.payments.count(user_id=alice.id) == 1


def test_bad_stale_or_unknown_webhooks_write_nothing(pay):
    alice = register(pay, "alice")
    s = start(pay, alice, "dep-pp-0005")
    ext = s["payment"].external_id
    body = event("evt_bad_1", ext)
    now = int(time.time())

    with pytest.raises(daira.Unauthenticated) as e:  # the wrong secret
        pay.payments.handle_webhook("STRIPE", body, stripe_signature(body, now, secret="whsec_wrong"))
    assert e.value.field == "signature"
    with pytest.raises(daira.Unauthenticated):  # a tampered body
        pay.payments.handle_webhook("STRIPE", body + " ", stripe_signature(body, now))
    with pytest.raises(daira.Unauthenticated) as e:  # signed 10 minutes ago: outside the 5 min window
        pay.payments.handle_webhook("STRIPE", body, stripe_signature(body, now - 600))
    assert "tolerance" in str(e.value)
    with pytest.raises(daira.Unauthenticated):  # PAYPAL's window is 60 s
        pay.payments.handle_webhook("PAYPAL", body, stripe_signature(body, now - 120, secret="whsec_pp"))
    with pytest.raises(daira.InvalidArgument) as e:  # not a Stripe-Signature header
        pay.payments.handle_webhook("STRIPE", body, "garbage")
    assert e.value.field == "signature"
    with pytest.raises(daira.NotFound) as e:  # well signed, about no payment of ours
        body_unknown = event("evt_bad_2", "pi_nobody")
        pay.payments.handle_webhook("STRIPE", body_unknown, stripe_signature(body_unknown, now))
    assert e.value.field == "external_id"
    # Nothing of the above moved money or claimed an event id: the good delivery of evt_bad_1 applies.
    assert pay.money.balance(alice.id).balance == 0
    assert pay.payments.handle_webhook("STRIPE", body, stripe_signature(body, now))["outcome"] == "applied"
    assert pay.money.balance(alice.id).balance == 2500


def test_unknown_or_unconfigured_provider_names_the_field(pay):
    alice = register(pay, "alice")
    with pytest.raises(daira.InvalidArgument) as e:
        pay.payments.handle_webhook("BITCOIN", "{}", "t=1,v1=00")
    assert e.value.field == "provider" and "BITCOIN" in str(e.value)
    with pytest.raises(daira.InvalidArgument) as e:
        pay.payments.settle("local_1", provider="BITCOIN")
    assert e.value.field == "provider"
    with pytest.raises(daira.FailedPrecondition) as e:  # a real name with no provider configured
        pay.payments.handle_webhook("FAWRY", "{}", "t=1,v1=00")
    assert e.value.field == "provider"
    with pytest.raises(daira.FailedPrecondition) as e:
        pay.payments.start_deposit(user_id=alice.id, amount=5, provider="INSTAPAY", idempotency_key="dep-pp-0006")
    assert e.value.field == "provider"
    with pytest.raises(daira.FailedPrecondition) as e:
        pay.payments.settle("local_1", provider="FAWRY")
    assert e.value.field == "provider"
    assert pay.money.balance(alice.id).balance == 0 and pay.payments.count() == 0


def test_open_refuses_bad_payments_options(db_url):
    cases = [
        ({"VISA": "whsec_x"}, "payments[VISA]"),
        ({"STRIPE": ""}, "payments[STRIPE].secret"),
        ({"STRIPE": {"tolerance": 60}}, "payments[STRIPE].secret"),
        ({"STRIPE": {"secret": "whsec_x", "tolerance": 0}}, "payments[STRIPE].tolerance"),
        ({"STRIPE": {"secret": "whsec_x", "tolerence": 60}}, "payments[STRIPE].tolerence"),
        ({"STRIPE": 42}, "payments[STRIPE]"),
    ]
    for option, field in cases:
        with pytest.raises(daira.InvalidArgument) as e:
            daira.open(db_url, password_cost="test", payments=option)
        assert e.value.field == field, option


def test_without_the_option_no_provider_is_configured(platform):
    alice = register(platform, "alice")
    with pytest.raises(daira.FailedPrecondition) as e:
        platform.payments.start_deposit(user_id=alice.id, amount=5, provider="STRIPE", idempotency_key="dep-pp-0007")
    assert e.value.field == "provider"


def test_refund_through_the_provider_is_held_and_settled_once_by_its_webhook(pay):
    alice = register(pay, "alice")
    s = start(pay, alice, "dep-pp-ref1", amount=2000)
    pay.payments.handle_webhook("STRIPE", *pay.payments.settle(s["payment"].external_id))
    dep_id = s["movement"]["id"]

    f = pay.payments.refund(dep_id, amount=1500, idempotency_key="ref-pp-0001", reason="returned", actor_id=alice.id)
    assert f["movement"]["type"] == "REFUND" and f["movement"]["status"] == "PENDING"
    assert f["movement"]["refund_of"] == dep_id
    assert f["provider"] == "STRIPE" and f["external_id"] == s["payment"].external_id
    assert f["refund_id"].startswith("local_re_") and f["error"] is None
    assert pay.money.balance(alice.id).balance == 500  # held while the provider works
    assert pay.audit_logs.count(action="payment.refund", resource_id=f["movement"]["id"], actor_id=alice.id) == 1
    # The same key: the first result; another request with it: refused naming the key.
    assert pay.payments.refund(dep_id, amount=1500, idempotency_key="ref-pp-0001", reason="returned",
                               actor_id=alice.id) == f
    with pytest.raises(daira.FailedPrecondition) as e:
        pay.payments.refund(dep_id, amount=1400, idempotency_key="ref-pp-0001")
    assert e.value.field == "idempotency_key"
    with pytest.raises(daira.FailedPrecondition) as e:  # 500 remain
        pay.payments.refund(dep_id, amount=501, idempotency_key="ref-pp-0002")
    assert e.value.field == "amount"

    ok = pay.payments.settle(f["external_id"], refund_id=f["refund_id"])
    assert json.loads(ok[0])["type"] == "refund.updated"
    r = pay.payments.handle_webhook("STRIPE", *ok)
    assert r["outcome"] == "applied" and r["movement"]["status"] == "COMPLETED"
    assert r["refund"]["refund_id"] == f["refund_id"] and r["payment"].status == "COMPLETED"  # 500 not refunded
    assert pay.payments.handle_webhook("STRIPE", *ok)["outcome"] == "duplicate"
    assert pay.money.balance(alice.id).balance == 500

    # The rest, declined by the provider: the hold comes back and the refund says why.
    g = pay.payments.refund(dep_id, amount=500, idempotency_key="ref-pp-0003")
    assert pay.money.balance(alice.id).balance == 0
    r = pay.payments.handle_webhook("STRIPE", *pay.payments.settle(g["external_id"], refund_id=g["refund_id"],
                                                                   succeeded=False))
    assert r["outcome"] == "applied" and r["movement"]["status"] == "FAILED"
    assert r["refund"]["error"] == "declined (local)"
    assert pay.money.balance(alice.id).balance == 500
    now = pay.payments.get_refund(g["movement"]["id"])
    assert now["movement"]["status"] == "FAILED" and now["error"] == "declined (local)"
    # A late success of the declined refund moves nothing; a new refund of the rest completes the payment.
    late = pay.payments.handle_webhook("STRIPE", *pay.payments.settle(g["external_id"], refund_id=g["refund_id"]))
    assert late["outcome"] == "ignored" and pay.money.balance(alice.id).balance == 500
    h = pay.payments.refund(dep_id, amount=500, idempotency_key="ref-pp-0004")
    r = pay.payments.handle_webhook("STRIPE", *pay.payments.settle(h["external_id"], refund_id=h["refund_id"]))
    assert r["payment"].status == "REFUNDED" and pay.money.balance(alice.id).balance == 0
    with pytest.raises(daira.FailedPrecondition) as e:
        pay.payments.refund(dep_id, amount=1, idempotency_key="ref-pp-0005")
    assert e.value.field == "transaction_id"
    assert pay.audit.verify().ok


def test_forged_refund_webhooks_and_refused_refunds_write_nothing(pay):
    alice = register(pay, "alice")
    s = start(pay, alice, "dep-pp-ref2", amount=800)
    pay.payments.handle_webhook("STRIPE", *pay.payments.settle(s["payment"].external_id))
    f = pay.payments.refund(s["movement"]["id"], amount=800, idempotency_key="ref-pp-0101")
    body = json.dumps({"id": "evt_r_forged", "type": "refund.updated",
                       "data": {"object": {"id": f["refund_id"], "object": "refund",
                                           "payment_intent": f["external_id"], "status": "succeeded"}}})
    with pytest.raises(daira.Unauthenticated) as e:
        pay.payments.handle_webhook("STRIPE", body, stripe_signature(body, int(time.time()), secret="whsec_wrong"))
    assert e.value.field == "signature"
    unknown = json.dumps({"id": "evt_r_unknown", "type": "refund.updated",
                          "data": {"object": {"id": "re_nobody", "object": "refund",
                                              "payment_intent": f["external_id"], "status": "succeeded"}}})
    with pytest.raises(daira.NotFound) as e:
        pay.payments.handle_webhook("STRIPE", unknown, stripe_signature(unknown, int(time.time())))
    assert e.value.field == "refund_id"
    assert pay.payments.get_refund(f["movement"]["id"])["movement"]["status"] == "PENDING"
    # Signed by the provider's secret (as Stripe would): the real delivery settles it.
    r = pay.payments.handle_webhook("STRIPE", body, stripe_signature(body, int(time.time())))
    assert r["outcome"] == "applied" and r["payment"].status == "REFUNDED"

    # A deposit confirmed by hand (no provider) is refunded by p.money.refund, not through a provider.
    d = pay.money.deposit(alice.id, amount=100, provider="STRIPE", idempotency_key="dep-pp-plain")
    pay.money.confirm_deposit(d["id"])
    with pytest.raises(daira.FailedPrecondition) as e:
        pay.payments.refund(d["id"], amount=10, idempotency_key="ref-pp-0102")
    assert e.value.field == "transaction_id"
    with pytest.raises(daira.InvalidArgument) as e:
        pay.payments.refund(d["id"], amount=0, idempotency_key="ref-pp-0103")
    assert e.value.field == "amount"
    with pytest.raises(daira.NotFound) as e:
        pay.payments.get_refund(d["id"])
    assert e.value.field == "transaction_id"
    assert pay.money.balance(alice.id).balance == 100
