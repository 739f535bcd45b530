"""p.money: deposits, withdrawals, tips, refunds, balances and statements over the ledger, on every SQL
backend; errors raise the daira exception naming the field; idempotency keys replay the first result."""

import pytest

import daira
from conftest import register


def test_deposit_tip_refund_balance_statement(platform):
    alice = register(platform, "alice")
    bob = register(platform, "bob")
    m = platform.money
    dep = m.deposit(alice.id, amount=2500, provider="STRIPE", idempotency_key="dep-py-0001")
    assert dep["status"] == "PENDING"
    assert m.balance(alice.id).balance == 0
    assert m.confirm_deposit(dep["id"])["status"] == "COMPLETED"
    assert m.balance(alice.id).balance == 2500

    tip = m.tip(alice.id, bob.id, amount=500, idempotency_key="tip-py-0001", note="thanks")
    assert tip["type"] == "TIP" and tip["balance_after"] == 2000 and tip["description"] == "thanks"
    # Same key, same request: the first result, no second movement.
    assert m.tip(alice.id, bob.id, amount=500, idempotency_key="tip-py-0001", note="thanks") == tip
    assert m.balance(bob.id).balance == 500
    with pytest.raises(daira.FailedPrecondition) as e:
        m.tip(alice.id, bob.id, amount=501, idempotency_key="tip-py-0001")
    assert e.value.field == "idempotency_key"

    ref = m.refund(tip["id"], amount=200, idempotency_key="ref-py-0001", reason="partial", actor_id=bob.id)
    assert ref["refund_of"] == tip["id"]
    # The refund's audit row names the admin, on a chain that verifies.
    assert platform.audit_logs.count(action="wallet.refund", resource_id=ref["id"], actor_id=bob.id) == 1
    assert platform.audit.verify().ok
    assert m.balance(alice.id).balance == 2200
    with pytest.raises(daira.FailedPrecondition) as e:
        m.refund(tip["id"], amount=301, idempotency_key="ref-py-0002")
    assert e.value.field == "amount"

    w = m.withdraw(alice.id, amount=200, provider="PAYPAL", idempotency_key="wd-py-0001")
    assert m.balance(alice.id).balance == 2000
    m.fail_withdrawal(w["id"])
    assert m.balance(alice.id).balance == 2200

    page = m.statement(alice.id, limit=2)
    lines = list(page.iter_all())
    assert [l.amount for l in lines] == [200, -200, 200, -500, 2500]
    assert lines[-1].type == "DEPOSIT"


def test_refused_calls_name_the_field(platform):
    alice = register(platform, "alice")
    m = platform.money
    with pytest.raises(daira.InvalidArgument) as e:
        m.tip(alice.id, alice.id, amount=1, idempotency_key="tip-py-self")
    assert e.value.field == "receiver_id"
    with pytest.raises(daira.InvalidArgument) as e:
        m.deposit(alice.id, amount=0, provider="STRIPE", idempotency_key="dep-py-zero")
    assert e.value.field == "amount"
    with pytest.raises(daira.InvalidArgument) as e:
        m.deposit(alice.id, amount=5, currency="usd", provider="STRIPE", idempotency_key="dep-py-cur1")
    assert e.value.field == "currency"
    with pytest.raises(daira.FailedPrecondition) as e:
        m.withdraw(alice.id, amount=5, provider="STRIPE", idempotency_key="wd-py-short")
    assert e.value.field == "amount"
    assert m.balance(alice.id).wallet_id == 0  # nothing written, not even the wallet
