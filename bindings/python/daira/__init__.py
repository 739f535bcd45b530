"""daira: an embeddable social-platform backend (SQLite embedded, PostgreSQL in production).

    import daira

    with daira.open("sqlite:app.db") as p:
        alice = p.accounts.register(email="a@x.io", username="alice", password="correct horse 1")
        bob = p.accounts.register(email="b@x.io", username="bob", password="correct horse 2")
        p.social.follow(bob.id, alice.id)
        p.content.create_post(alice.id, "hello #daira")
        for post in p.feed.home(bob.id, limit=20):
            print(post.author.username, post.content)

Every method releases the GIL while daira works, so threads calling a shared Platform run in
parallel. Failures raise a subclass of :class:`daira.Error` (one per status code, see
:mod:`daira.errors`). Lists come back as :class:`daira.Page` objects: iterate a page for its items,
``page.iter_all()`` to follow ``next_cursor`` through every page.

The typed repositories (``p.wallets``, ``p.transactions``, ``p.payments``, ``p.reports``,
``p.reviews``, ``p.audit_logs``, ``p.posts``, ``p.videos``, ``p.comments``, ``p.users``) read only
the columns asked for (``fields=["id", "balance"]``; the rest read None), and every call takes
``tx=`` to run inside one database transaction::

    with p.transaction() as tx:            # commit on a normal exit, rollback on an exception
        w = p.wallets.create(user_id=alice.id, tx=tx)
        p.audit_logs.create(action="wallet.open", entity_type="wallet", entity_id=w.id, tx=tx)
"""

from __future__ import annotations

import pkgutil as _pkgutil

# The native module may live in another `daira` directory on sys.path (the build tree's), next to
# which there is no __init__.py: make every such directory part of this package.
__path__ = _pkgutil.extend_path(__path__, __name__)

from .errors import (  # noqa: E402
    Aborted,
    AlreadyExists,
    Cancelled,
    DataLoss,
    DeadlineExceeded,
    Error,
    FailedPrecondition,
    Internal,
    InvalidArgument,
    NotFound,
    OutOfRange,
    PermissionDenied,
    ResourceExhausted,
    StatusCode,
    Unauthenticated,
    Unavailable,
    Unimplemented,
    Unknown,
)
from ._daira import (  # noqa: E402
    Accounts,
    AuditLogEntry,
    AuditLogs,
    Authenticated,
    Author,
    Batch,
    Block,
    Comment,
    CommentRecord,
    Comments,
    Content,
    Feed,
    Follow,
    FollowEntry,
    GraphUser,
    HashtagHit,
    Mute,
    Page,
    Payment,
    Payments,
    Platform,
    Post,
    PostHit,
    PostRecord,
    Posts,
    Profiles,
    ProfileView,
    ReactionSummary,
    ReactOutcome,
    Report,
    Reports,
    Review,
    Reviews,
    Search,
    Session,
    Social,
    Transaction,
    TransactionJournal,
    Trending,
    TrendingHashtag,
    TrendingVideo,
    User,
    UserBatch,
    UserHit,
    UserProfile,
    Users,
    UserSession,
    UserStats,
    Video,
    VideoRecord,
    Videos,
    Wallet,
    Wallets,
    WalletTransaction,
    __version__,
    open,
)

__all__ = [
    "open",
    "Platform",
    "Page",
    "StatusCode",
    "Error",
    "Cancelled",
    "Unknown",
    "InvalidArgument",
    "DeadlineExceeded",
    "NotFound",
    "AlreadyExists",
    "PermissionDenied",
    "ResourceExhausted",
    "FailedPrecondition",
    "Aborted",
    "OutOfRange",
    "Unimplemented",
    "Internal",
    "Unavailable",
    "DataLoss",
    "Unauthenticated",
    "Accounts",
    "Users",
    "Profiles",
    "Social",
    "Content",
    "Feed",
    "Search",
    "Trending",
    "User",
    "UserSession",
    "Session",
    "Authenticated",
    "UserBatch",
    "UserProfile",
    "ProfileView",
    "UserStats",
    "UserHit",
    "PostHit",
    "HashtagHit",
    "Follow",
    "FollowEntry",
    "GraphUser",
    "Block",
    "Mute",
    "Author",
    "Post",
    "Video",
    "Comment",
    "ReactOutcome",
    "ReactionSummary",
    "TrendingVideo",
    "TrendingHashtag",
    "Transaction",
    "Wallets",
    "TransactionJournal",
    "Payments",
    "Reports",
    "Reviews",
    "AuditLogs",
    "Posts",
    "Videos",
    "Comments",
    "Batch",
    "Wallet",
    "WalletTransaction",
    "Payment",
    "Report",
    "Review",
    "AuditLogEntry",
    "PostRecord",
    "VideoRecord",
    "CommentRecord",
    "__version__",
]
