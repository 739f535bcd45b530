"""p.moderation and p.audit on both SQL backends: a report, the queue, a SUSPEND that locks the account,
the self-review refusal, and the audit chain verified."""

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
