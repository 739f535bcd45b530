"""p.search.videos: PUBLISHED videos by title/description words, ranked and keyset-paged, as a viewer may
see them (sqlite and postgres through the `platform` fixture)."""

import pytest

import daira
from conftest import register


def published(p, author_id, title, *, description="", visibility="PUBLIC"):
    """Creates a video and moves it UPLOADING → PROCESSING → PUBLISHED."""
    v = p.content.create_video(author_id, title=title, description=description, duration_ms=30_000,
                               visibility=visibility)
    p.content.transition_video(v.id, "PROCESSING")
    return p.content.transition_video(v.id, "PUBLISHED", hls_url=f"https://cdn.example.com/{v.id}.m3u8")


def test_ranking_whole_words_first(platform):
    alice = register(platform, "alice")
    exact = published(platform, alice.id, "Nile sunset")
    prefix = published(platform, alice.id, "Nile sunsets from the boat")  # "sunset" only as a prefix
    newer = published(platform, alice.id, "boat trip", description="a sunset over the nile")
    published(platform, alice.id, "desert wind")  # no match
    uploading = platform.content.create_video(alice.id, title="nile sunset raw", duration_ms=1000)
    assert uploading.status == "UPLOADING"  # not PUBLISHED: never listed
    hits = list(platform.search.videos("nile sunset"))
    assert all(isinstance(h, daira.VideoHit) for h in hits)
    assert [(h.video.id, h.relevance) for h in hits] == [(newer.id, 2), (exact.id, 2), (prefix.id, 1)]
    assert hits[0].video.description == "a sunset over the nile" and hits[0].video.status == "PUBLISHED"
    assert isinstance(hits[0].video, daira.Video)
    text = repr(hits[1])
    assert text.startswith("VideoHit(") and "Nile sunset" in text and "relevance=2" in text
    # '#' is a separator.
    tagged = platform.search.videos("#nile")
    assert sorted(h.video.id for h in tagged) == sorted([exact.id, prefix.id, newer.id])
    assert len(platform.search.videos("...")) == 0  # no word at all: an empty page


def test_viewer_rules_private_only_to_author(platform):
    alice = register(platform, "alice")
    bob = register(platform, "bob")
    public = published(platform, alice.id, "harbour lights")
    private = published(platform, alice.id, "harbour at night", visibility="PRIVATE")
    assert [h.video.id for h in platform.search.videos("harbour")] == [public.id]  # anonymous
    assert [h.video.id for h in platform.search.videos("harbour", viewer_id=bob.id)] == [public.id]
    assert [h.video.id for h in platform.search.videos("harbour", viewer_id=alice.id)] == [private.id, public.id]
    assert platform.search.videos("harbour", viewer_id=alice.id)[0].video.visibility == "PRIVATE"


@pytest.mark.parametrize("limit", [1, 2, 3, 7])
def test_paging_walks_each_hit_once(platform, limit):
    alice = register(platform, "alice")
    other = register(platform, "other")
    ids = [published(platform, (alice if i % 2 else other).id, f"river clip {i}",
                     description="river" if i % 3 == 0 else "").id
           for i in range(7)]
    whole = platform.search.videos("river", limit=50)
    assert not whole.has_more and sorted(h.video.id for h in whole) == sorted(ids)
    expected = [h.video.id for h in whole]
    # By hand, following next_cursor.
    seen, cursor, pages = [], "", 0
    while True:
        page = platform.search.videos("river", limit=limit, cursor=cursor)
        assert len(page) <= limit
        seen += [h.video.id for h in page]
        pages += 1
        if not page.has_more:
            break
        cursor = page.next_cursor
    assert seen == expected
    assert pages == -(-len(ids) // limit)
    # And through iter_all().
    assert [h.video.id for h in platform.search.videos("river", limit=limit).iter_all()] == expected


def test_bad_input_names_the_field(platform):
    alice = register(platform, "alice")
    published(platform, alice.id, "anything")
    with pytest.raises(daira.InvalidArgument) as bad_viewer:
        platform.search.videos("anything", viewer_id=-1)
    assert bad_viewer.value.field == "viewer"
    with pytest.raises(daira.InvalidArgument) as bad_limit:
        platform.search.videos("anything", limit=0)
    assert bad_limit.value.field == "limit"
    with pytest.raises(daira.InvalidArgument) as bad_cursor:
        platform.search.videos("anything", cursor="not-a-cursor")
    assert bad_cursor.value.field == "cursor"
