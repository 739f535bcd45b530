"""The typed repositories (wallets, transactions, payments, reports, reviews, audit_logs, posts, videos,
comments) and field masks, on every backend: reads, batches, pages, writes of only the given fields,
and each failure's status code."""

import datetime

import pytest

import daira
from conftest import register


def test_wallet_create_get_fields_update_delete(platform):
    alice = register(platform, "alice")
    w = platform.wallets.create(user_id=alice.id, currency="EGP")
    assert isinstance(w, daira.Wallet)
    assert (w.user_id, w.balance, w.currency, w.earned_total, w.spent_total, w.tips_received) == (
        alice.id, 0, "EGP", 0, 0, 0)
    assert w.last_payout_at is None
    assert w.created_at.tzinfo is not None

    only = platform.wallets.get(w.id, fields=["balance", "currency"])
    assert (only.id, only.balance, only.currency) == (w.id, 0, "EGP")
    assert only.user_id is None and only.created_at is None  # not selected
    assert "user_id=None" in repr(only) and "balance=0" in repr(only) and repr(only).startswith("Wallet(")
    same = platform.wallets.get(w.id, fields="balance, currency")
    assert (same.balance, same.currency, same.user_id) == (0, "EGP", None)
    assert platform.wallets.get(w.id).user_id == alice.id  # None: every field
    assert platform.wallets.find_by_user(alice.id, fields=["currency"]).currency == "EGP"

    paid = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    platform.wallets.update(w.id, last_payout_at=paid)
    after = platform.wallets.get(w.id)
    assert after.last_payout_at == paid
    assert after.currency == "EGP"  # only the given field changed
    platform.wallets.update(w.id, currency="USD")  # balance is 0: allowed
    assert platform.wallets.get(w.id).currency == "USD"
    assert platform.wallets.count() == 1 and platform.wallets.count(currency="EGP") == 0
    assert platform.wallets.exists(w.id)

    platform.wallets.delete(w.id)
    assert not platform.wallets.exists(w.id)
    with pytest.raises(daira.NotFound) as info:
        platform.wallets.get(w.id)
    assert isinstance(info.value, LookupError)


def test_wallet_errors_map_to_codes(platform):
    alice = register(platform, "alice")
    w = platform.wallets.create(user_id=alice.id)
    with pytest.raises(daira.AlreadyExists) as info:
        platform.wallets.create(user_id=alice.id)
    assert info.value.field == "user_id"
    with pytest.raises(daira.FailedPrecondition):
        platform.wallets.create(user_id=999999)  # no such user
    with pytest.raises(daira.InvalidArgument) as info:
        platform.wallets.create(user_id=alice.id, currency="usd")
    assert info.value.field == "currency"
    with pytest.raises(daira.InvalidArgument) as info:
        platform.wallets.update(w.id)  # no field given
    assert info.value.field == "patch"
    with pytest.raises(daira.NotFound):
        platform.wallets.update(w.id + 1000, currency="EUR")
    with pytest.raises(daira.NotFound):
        platform.wallets.delete(w.id + 1000)
    # The money rule: a wallet referenced by the journal cannot be deleted.
    platform.transactions.create(wallet_id=w.id, type="DEPOSIT", amount=100, status="COMPLETED", balance_after=0)
    with pytest.raises(daira.FailedPrecondition):
        platform.wallets.delete(w.id)
    assert platform.wallets.exists(w.id)


@pytest.mark.parametrize("fields", [["balance", "nope"], "nope", ["balance,currency"], [1], 42])
def test_unknown_or_malformed_fields_raise_invalid_argument(platform, fields):
    alice = register(platform, "alice")
    w = platform.wallets.create(user_id=alice.id)
    with pytest.raises(daira.InvalidArgument) as info:
        platform.wallets.get(w.id, fields=fields)
    assert info.value.field == "fields"
    assert isinstance(info.value, ValueError)


def test_users_field_masks(platform):
    alice = register(platform, "alice")
    u = platform.users.get(alice.id, fields=["username"])
    assert (u.id, u.username, u.email, u.status) == (alice.id, "alice", None, None)
    assert platform.users.get(alice.id).email == "alice@example.com"
    batch = platform.users.get_many([alice.id, 424242], fields="email")
    assert [x.email for x in batch.items] == ["alice@example.com"] and batch.items[0].username is None
    assert batch.missing == [424242]
    assert platform.users.find_by_username("alice", fields=["status"]).status == "ACTIVE"
    assert platform.users.find_by_email("alice@example.com", fields=["username"]).username == "alice"
    for bad in (["username", "nope"], ["password_hash"]):
        with pytest.raises(daira.InvalidArgument) as info:
            platform.users.get(alice.id, fields=bad)
        assert info.value.field == "fields"


def test_journal_rows_settle_once(platform):
    alice = register(platform, "alice")
    w = platform.wallets.create(user_id=alice.id)
    t = platform.transactions.create(wallet_id=w.id, type="deposit", amount=2500, idempotency_key="dep-7f3a9c21",
                                     metadata={"provider": "STRIPE"})
    assert isinstance(t, daira.WalletTransaction)
    assert (t.type, t.status, t.amount, t.currency, t.completed_at) == ("DEPOSIT", "PENDING", 2500, "USD", None)
    assert '"provider"' in t.metadata
    assert platform.transactions.find_by_idempotency_key(w.id, "dep-7f3a9c21", fields=["amount"]).amount == 2500
    with pytest.raises(daira.AlreadyExists) as info:
        platform.transactions.create(wallet_id=w.id, type="DEPOSIT", amount=1, idempotency_key="dep-7f3a9c21")
    assert info.value.field == "idempotency_key"
    with pytest.raises(daira.InvalidArgument) as info:
        platform.transactions.create(wallet_id=w.id, type="BRIBE", amount=1)
    assert info.value.field == "type"
    with pytest.raises(daira.InvalidArgument) as info:
        platform.transactions.create(wallet_id=w.id, type="DEPOSIT", amount=0)
    assert info.value.field == "amount"

    done = datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc)
    platform.transactions.update(t.id, status="COMPLETED", completed_at=done, balance_after=2500)
    got = platform.transactions.get(t.id)
    assert (got.status, got.completed_at, got.balance_after) == ("COMPLETED", done, 2500)
    assert platform.wallets.get(w.id).balance == 0  # the journal never touches the balance
    with pytest.raises(daira.FailedPrecondition) as info:
        platform.transactions.update(t.id, status="FAILED")  # COMPLETED is final
    assert info.value.field == "status"
    with pytest.raises(daira.FailedPrecondition):
        platform.transactions.delete(t.id)  # the journal keeps a COMPLETED row

    more = [platform.transactions.create(wallet_id=w.id, type="TIP", amount=10 + i) for i in range(5)]
    assert platform.transactions.count(wallet_id=w.id) == 6
    assert platform.transactions.count(status="PENDING") == 5
    page = platform.transactions.list_by_wallet(w.id, limit=4, fields=["amount"])
    assert [r.amount for r in page] == [14, 13, 12, 11] and page.has_more
    assert all(r.type is None for r in page)
    assert [r.id for r in page.iter_all()] == [r.id for r in reversed(more)] + [t.id]
    platform.transactions.delete(more[0].id)
    assert not platform.transactions.exists(more[0].id)
    batch = platform.transactions.get_many([t.id, more[0].id, t.id])
    assert [r.id for r in batch.items] == [t.id] and batch.missing == [more[0].id]
    assert isinstance(batch, daira.Batch) and len(batch) == 1


def test_payments(platform):
    alice = register(platform, "alice")
    w = platform.wallets.create(user_id=alice.id)
    pay = platform.payments.create(user_id=alice.id, amount=999, provider="PAYPAL", external_id="pi_3Nf0x2",
                                   wallet_id=w.id)
    assert (pay.provider, pay.status, pay.amount, pay.wallet_id, pay.error) == ("PAYPAL", "PENDING", 999, w.id, None)
    with pytest.raises(daira.AlreadyExists) as info:
        platform.payments.create(user_id=alice.id, amount=1, provider="PAYPAL", external_id="pi_3Nf0x2")
    assert info.value.field == "external_id"
    assert platform.payments.find_by_external_id("paypal", "pi_3Nf0x2").id == pay.id
    with pytest.raises(daira.NotFound):
        platform.payments.find_by_external_id("STRIPE", "pi_3Nf0x2")
    platform.payments.update(pay.id, status="FAILED", error="card declined")
    got = platform.payments.get(pay.id, fields=["status", "error"])
    assert (got.status, got.error, got.amount) == ("FAILED", "card declined", None)
    platform.payments.update(pay.id, error="")
    assert platform.payments.get(pay.id).error is None
    ok = platform.payments.create(user_id=alice.id, amount=5, status="COMPLETED")
    with pytest.raises(daira.FailedPrecondition):
        platform.payments.delete(ok.id)
    assert platform.payments.count(user_id=alice.id) == 2 and platform.payments.count(provider="PAYPAL") == 1
    assert [p.id for p in platform.payments.list_by_user(alice.id)] == [ok.id, pay.id]
    platform.payments.delete(pay.id)
    assert platform.payments.get_many([pay.id, ok.id]).missing == [pay.id]


def test_reports_and_reviews(platform):
    alice = register(platform, "alice")
    mod = register(platform, "mod")
    post = platform.content.create_post(alice.id, "buy cheap watches")
    r = platform.reports.create(reporter_id=mod.id, content_type="post", content_id=post.id, reason="SPAM",
                                severity="HIGH", evidence={"url": "x"})
    assert isinstance(r, daira.Report)
    assert (r.content_type, r.status, r.severity, r.reason, r.resolved_at) == ("POST", "PENDING", "HIGH", "SPAM", None)
    with pytest.raises(daira.AlreadyExists) as info:
        platform.reports.create(reporter_id=mod.id, content_type="POST", content_id=post.id, reason="SPAM")
    assert info.value.field == "content_id"
    assert platform.reports.find_by_reporter_and_content(mod.id, "POST", post.id).id == r.id
    queue = platform.reports.list_by_status("PENDING", severity="HIGH")
    assert [x.id for x in queue] == [r.id]
    assert platform.reports.count(status="PENDING") == 1

    rv = platform.reviews.create(report_id=r.id, reviewer_id=mod.id, decision="REJECTED", reason="looks fine")
    assert (rv.decision, rv.reason, rv.action_taken) == ("REJECTED", "looks fine", None)
    platform.reviews.update(rv.id, action_taken="none")
    got = platform.reviews.get(rv.id)
    assert (got.action_taken, got.reason) == ("none", "looks fine")
    assert [x.id for x in platform.reviews.list_by_report(r.id)] == [rv.id]
    assert platform.reviews.count(report_id=r.id) == 1
    with pytest.raises(daira.FailedPrecondition):
        platform.reviews.create(report_id=r.id + 1000, reviewer_id=mod.id)
    with pytest.raises(daira.InvalidArgument) as info:
        platform.reviews.create(report_id=r.id, reviewer_id=mod.id, decision="MAYBE")
    assert info.value.field == "decision"

    resolved = datetime.datetime(2026, 2, 2, tzinfo=datetime.timezone.utc)
    platform.reports.update(r.id, status="DISMISSED", resolved_at=resolved)
    got = platform.reports.get(r.id, fields=["status", "resolved_at"])
    assert (got.status, got.resolved_at, got.reason) == ("DISMISSED", resolved, None)
    platform.reports.delete(r.id)  # and its reviews
    assert not platform.reviews.exists(rv.id)
    with pytest.raises(daira.NotFound):
        platform.reports.delete(r.id)


def test_audit_log_is_append_only(platform):
    admin = register(platform, "admin")
    e = platform.audit_logs.create(actor_id=admin.id, action="user.ban", resource_type="user", resource_id=7,
                                   changes={"status": ["ACTIVE", "BANNED"]}, ip_address="203.0.113.9")
    assert isinstance(e, daira.AuditLogEntry)
    assert (e.action, e.resource_type, e.resource_id, e.ip_address) == ("user.ban", "user", 7, "203.0.113.9")
    assert e.correlation_id  # taken from the request context
    with pytest.raises(daira.Unimplemented) as info:
        platform.audit_logs.update(e.id, action="user.unban")
    assert isinstance(info.value, NotImplementedError)
    with pytest.raises(NotImplementedError):
        platform.audit_logs.delete(e.id)
    assert platform.audit_logs.get(e.id).action == "user.ban"  # untouched
    e2 = platform.audit_logs.create(action="system.tick", resource_type="user", resource_id=7)
    assert e2.actor_id is None
    assert [x.id for x in platform.audit_logs.list_by_entity("user", 7)] == [e2.id, e.id]
    assert [x.id for x in platform.audit_logs.list_by_actor(admin.id, fields=["action"])] == [e.id]
    assert platform.audit_logs.count(resource_type="user", resource_id=7) == 2
    with pytest.raises(daira.InvalidArgument) as info:
        platform.audit_logs.create(action="", resource_type="user")
    assert info.value.field == "action"


def test_content_records(platform):
    alice = register(platform, "alice")
    bob = register(platform, "bob")
    p1 = platform.content.create_post(alice.id, "first #daira @bob")
    p2 = platform.content.create_post(alice.id, "second")
    rec = platform.posts.get(p1.id, fields=["content", "hashtags", "mentions"])
    assert isinstance(rec, daira.PostRecord)
    assert (rec.content, rec.hashtags, rec.mentions, rec.likes_count) == ("first #daira @bob", ["daira"], [bob.id], None)
    assert "likes_count=None" in repr(rec)
    batch = platform.posts.get_many([p2.id, 123456, p1.id])
    assert [x.id for x in batch.items] == [p2.id, p1.id] and batch.missing == [123456]
    assert [x.id for x in platform.posts.list_by_author(alice.id, limit=1).iter_all()] == [p2.id, p1.id]
    platform.content.delete_post(alice.id, p2.id)
    assert platform.posts.get(p2.id).status == "DELETED"  # every status is returned
    assert platform.posts.count(author_id=alice.id, status="ACTIVE") == 1
    with pytest.raises(daira.NotFound):
        platform.posts.get(999999)

    v = platform.content.create_video(alice.id, title="clip", duration_ms=1500)
    vr = platform.videos.get(v.id, fields=["title", "status"])
    assert (vr.title, vr.status, vr.duration_ms) == ("clip", "UPLOADING", None)
    assert platform.videos.count(author_id=alice.id) == 1 and platform.videos.count(status="PUBLISHED") == 0
    assert [x.id for x in platform.videos.list_by_author(alice.id)] == [v.id]
    assert platform.videos.exists(v.id)

    c1 = platform.content.create_comment(bob.id, "nice", post_id=p1.id)
    c2 = platform.content.create_comment(alice.id, "thanks", post_id=p1.id, parent_id=c1.id)
    c3 = platform.content.create_comment(bob.id, "cool video", video_id=v.id)
    cr = platform.comments.get(c2.id)
    assert isinstance(cr, daira.CommentRecord)
    assert (cr.post_id, cr.video_id, cr.parent_id, cr.author_id) == (p1.id, None, c1.id, alice.id)
    assert [x.id for x in platform.comments.list_by_post(p1.id)] == [c1.id, c2.id]
    assert [x.id for x in platform.comments.list_replies(c1.id)] == [c2.id]
    assert [x.content for x in platform.comments.list_by_video(v.id, fields=["content"])] == ["cool video"]
    assert platform.comments.count(post_id=p1.id) == 2 and platform.comments.count(author_id=bob.id) == 2
    assert platform.comments.get_many([c3.id]).items[0].video_id == v.id
    with pytest.raises(daira.InvalidArgument) as info:
        platform.comments.count(status="GONE")
    assert info.value.field == "status"


def test_list_limit_and_cursor_errors(platform):
    alice = register(platform, "alice")
    with pytest.raises(daira.InvalidArgument) as info:
        platform.posts.list_by_author(alice.id, limit=0)
    assert info.value.field == "limit"
    with pytest.raises(daira.InvalidArgument) as info:
        platform.posts.list_by_author(alice.id, cursor="not-a-cursor")
    assert info.value.field == "cursor"


def test_model_classes_are_read_only(platform):
    alice = register(platform, "alice")
    w = platform.wallets.create(user_id=alice.id)
    with pytest.raises(AttributeError):
        w.balance = 100
    assert "balance" in daira.Wallet.FIELDS and daira.Wallet.FIELDS[0] == "id"
