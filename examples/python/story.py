#!/usr/bin/python3
"""The story every daira example tells: open an embedded database, register two users, follow,
post, read the feed. Same steps as examples/cpp, examples/node and examples/go.

    PYTHONPATH=build/release/bindings/python:bindings/python /usr/bin/python3 examples/python/story.py [DIR]

The SQLite file goes in DIR (default: a fresh temporary directory, removed afterwards).
"""

import os
import sys
import tempfile

import daira

PASSWORD = "correct horse battery"


def main(directory: str) -> int:
    # password_cost="test": the cheapest hashing, fine for a demo, never for real passwords.
    with daira.open(f"sqlite:{os.path.join(directory, 'story.db')}", password_cost="test") as p:
        alice = p.accounts.register(email="alice@example.com", username="alice", password=PASSWORD,
                                    display_name="Alice")
        bob = p.accounts.register(email="bob@example.com", username="bob", password=PASSWORD,
                                  display_name="Bob")
        print(f"registered @{alice.username} and @{bob.username}")

        p.social.follow(bob.id, alice.id)
        print("@bob follows @alice")

        p.content.create_post(alice.id, "Hello from daira #firstpost")
        print("@alice posted")

        feed = p.feed.home(bob.id, limit=20)
        for post in feed:
            print(f"feed: @{post.author.username}: {post.content}")

        # Failures are exceptions named after the status code (and the matching builtin).
        try:
            p.accounts.login(identifier="alice", password="wrong password")
        except daira.Unauthenticated as e:
            print(f"wrong password: {type(e).__name__}")

    if len(feed) != 1:
        print("python example: expected exactly one post in the feed", file=sys.stderr)
        return 1
    print("python example: ok")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1:
        os.makedirs(sys.argv[1], exist_ok=True)
        sys.exit(main(sys.argv[1]))
    with tempfile.TemporaryDirectory(prefix="daira-story-") as d:
        sys.exit(main(d))
