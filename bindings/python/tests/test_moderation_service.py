"""p.moderation and p.audit on both SQL backends: a report, the queue, a SUSPEND that locks the account,
the self-review refusal, and the audit chain verified."""

import json

import pytest

import daira
from conftest import PASSWORD, register


def test_report_queue_decide_and_verify(platform):
    alice = register(platform, "alice")
    bob = register(platform, "bob")
    mod = register(platform, "mod")
    post = platform.content.create_post(alice.id, "buy cheap watches")
    r = platform.moderation.report(reporter_id=bob.id, content_type="POST", content_id=post.id, reason="SPAM",
                                   severity="HIGH")
    assert (r.status, r.reason, r.severity) == ("PENDING", "SPAM", "HIGH")
    with pytest.raises(daira.AlreadyExists) as info:
        platform.moderation.report(reporter_id=bob.id, content_type="POST", content_id=post.id, reason="VIOLENCE")
    assert info.value.field == "content_id"
    with pytest.raises(daira.InvalidArgument) as info:
        platform.moderation.report(reporter_id=bob.id, content_type="USER", content_id=alice.id, reason="NUDITY")
    assert info.value.field == "reason"
    assert [x.id for x in platform.moderation.queue(limit=10)] == [r.id]

    with pytest.raises(daira.PermissionDenied):
        platform.moderation.decide(r.id, reviewer_id=alice.id, decision="REJECTED")
    d = platform.moderation.decide(r.id, reviewer_id=mod.id, decision="SUSPEND", reason="spam ring")
    assert isinstance(d, daira.ModerationDecision)
    assert (d.report.status, d.review.decision, d.review.reason, d.audit.action) == (
        "RESOLVED", "SUSPEND", "spam ring", "moderation.suspend")
    assert d.content_changed
    with pytest.raises(daira.PermissionDenied):
        platform.accounts.login(identifier="alice", password=PASSWORD)
    with pytest.raises(daira.FailedPrecondition):
        platform.moderation.decide(r.id, reviewer_id=mod.id, decision="BAN")

    platform.audit.append(action="admin.note", resource_type="user", actor_id=mod.id, resource_id=alice.id,
                          changes={"note": "checked"}, reason="follow-up")
    v = platform.audit.verify()
    assert v and v.ok and v.checked == 2 and v.first_bad_id is None


def test_open_options_set_the_threshold_and_tip_fee_and_a_warn_notifies(db_url):
    with daira.open(db_url, password_cost="test", moderation_auto_hide_threshold=1, tip_fee_bps=1000) as p:
        alice = register(p, "alice")
        bob = register(p, "bob")
        mod = register(p, "mod")
        # Threshold 1: a single report hides the video (hidden_at set, status kept).
        video = p.content.create_video(alice.id, title="stunt", duration_ms=1000)
        p.content.transition_video(video.id, "PROCESSING")
        p.content.transition_video(video.id, "PUBLISHED")
        assert p.content.get_video(video.id).hidden_at is None
        r = p.moderation.report(reporter_id=bob.id, content_type="VIDEO", content_id=video.id, reason="VIOLENCE")
        hidden = p.content.get_video(video.id)
        assert hidden.hidden_at is not None and hidden.status == "PUBLISHED"
        assert p.videos.get(video.id).hidden_at is not None
        # A WARN reaches alice as a MODERATION notification.
        d = p.moderation.decide(r.id, reviewer_id=mod.id, decision="WARN", reason="be careful")
        [n] = list(p.notifications.list(alice.id))
        assert d.notification is not None and d.notification.id == n.id
        assert (n.kind, n.target_type, n.target_id, n.actor_id) == ("MODERATION", "VIDEO", video.id, None)
        assert json.loads(n.payload)["decision"] == "WARN"
        # tip_fee_bps=1000: a 500 tip leaves 450 with bob.
        m = p.money
        dep = m.deposit(bob.id, amount=1000, provider="STRIPE", idempotency_key="dep-opt-0001")
        m.confirm_deposit(dep["id"])
        m.tip(bob.id, mod.id, amount=500, idempotency_key="tip-opt-0001")
        assert m.balance(mod.id).balance == 450


@pytest.mark.parametrize("option, value", [("tip_fee_bps", 10000), ("tip_fee_bps", -1),
                                           ("moderation_auto_hide_threshold", -2),
                                           ("money_idempotency_retention_s", 60), ("money_max_attempts", 0)])
def test_open_options_out_of_range_name_the_option(db_url, option, value):
    with pytest.raises(daira.InvalidArgument) as info:
        daira.open(db_url, password_cost="test", **{option: value})
    assert info.value.field == option
