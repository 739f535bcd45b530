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
    Authenticated,
    Author,
    Block,
    Comment,
    Content,
    Feed,
    Follow,
    FollowEntry,
    GraphUser,
    HashtagHit,
    Mute,
    Page,
    Platform,
    Post,
    PostHit,
    Profiles,
    ProfileView,
    ReactionSummary,
    ReactOutcome,
    Search,
    Session,
    Social,
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
    "__version__",
]
