// SharedText (daira/core/shared_text.h): an immutable, reference-counted text — copies share the
// bytes, Pack puts several texts in one allocation, and it reads like a std::string_view.
#include "daira/core/shared_text.h"

#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace daira {
namespace {

TEST(SharedTextTest, CopiesShareTheBytes) {
  SharedText a(std::string("analytics.ingest"));
  SharedText b = a;
  EXPECT_EQ(a.data(), b.data());
  EXPECT_EQ(b, "analytics.ingest");
  EXPECT_EQ(b.size(), 16u);
  EXPECT_EQ(b.c_str()[16], '\0');
  a = SharedText();  // the copy keeps the bytes alive
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(b, "analytics.ingest");
  SharedText c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move): a moved-from text is empty
  EXPECT_EQ(c, "analytics.ingest");
}

TEST(SharedTextTest, EmptyHoldsNothing) {
  SharedText a, b(""), c{std::string()};
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(a.size(), 0u);
  EXPECT_STREQ(a.c_str(), "");
  EXPECT_EQ(a, b);
  EXPECT_EQ(b, c);
  EXPECT_EQ(a, "");
}

TEST(SharedTextTest, ReadsLikeAString) {
  SharedText t = "{\"user\":42}";
  const std::string s(t);
  EXPECT_EQ(s, "{\"user\":42}");
  EXPECT_EQ(t, s);
  EXPECT_EQ(s, t);
  EXPECT_NE(t, "{}");
  EXPECT_LT(t, "{\"x\"");
  EXPECT_GT(t, "{\"a\"");
  EXPECT_EQ(t.find(':'), 7u);
  EXPECT_EQ(t.find("zz"), SharedText::npos);
  EXPECT_EQ(t.substr(2, 4), "user");
  EXPECT_TRUE(t.starts_with("{\""));
  EXPECT_TRUE(t.ends_with("}"));
  std::string_view v = t;
  EXPECT_EQ(v, "{\"user\":42}");
  std::ostringstream os;
  os << t;
  EXPECT_EQ(os.str(), s);
  t = std::string("other");
  EXPECT_EQ(t.str(), "other");
  const SharedText& alias = t;
  t = alias;  // self-assignment keeps the text
  EXPECT_EQ(t, "other");
}

TEST(SharedTextTest, PackPutsTextsInOneBlock) {
  SharedText queue, name, payload, key;
  std::string source = "payload bytes";
  SharedText::Pack({{"video.transcode", &queue}, {"hls", &name}, {source, &payload}, {"", &key}});
  source.assign("changed");  // the texts hold their own copy
  EXPECT_EQ(queue, "video.transcode");
  EXPECT_EQ(name, "hls");
  EXPECT_EQ(payload, "payload bytes");
  EXPECT_TRUE(key.empty());
  // One block: the texts follow one another, each NUL-terminated.
  EXPECT_EQ(name.data(), queue.data() + queue.size() + 1);
  EXPECT_EQ(payload.data(), name.data() + name.size() + 1);
  EXPECT_EQ(payload.c_str()[payload.size()], '\0');
  SharedText kept = name;
  queue = name = payload = SharedText();  // the block lives while any of its texts does
  EXPECT_EQ(kept, "hls");
  // A part may read from one of the targets.
  SharedText self = "abc";
  SharedText::Pack({{self, &self}});
  EXPECT_EQ(self, "abc");
  SharedText none = "x";
  SharedText::Pack({{"", &none}});
  EXPECT_TRUE(none.empty());
}

TEST(SharedTextTest, CopiesAcrossThreads) {
  const SharedText shared(std::string(100, 'x'));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&shared] {
      for (int i = 0; i < 10000; ++i) {
        SharedText copy = shared;
        SharedText other = copy;
        copy = SharedText();
        if (other.size() != 100) std::abort();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(shared, std::string(100, 'x'));
}

}  // namespace
}  // namespace daira
