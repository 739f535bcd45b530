// Many instances, one database: node id leases taken at Open and released at Close, a lost lease
// replaced, configured node ids, cursor keys shared through the database (rotation and grace), and
// separate processes (spawned with fork+exec) writing concurrently and paging across each other.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "daira/platform/platform.h"
#include "daira/store/cursor_keys.h"
#include "daira/store/node_lease.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"
#include "test_paths.h"  // generated: DAIRA_SOURCE_DIR, DAIRA_*_WORKER, DAIRA_CLI_BINARY

extern char** environ;

namespace daira {
namespace {

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using ::testing::HasSubstr;

const Clock::TimePoint kStart{std::chrono::seconds(1750000000)};

PlatformOptions InstanceOptions(const Clock* clock = nullptr) {
  return PlatformOptions{.accounts = services::AccountsOptions::ForTesting(), .clock = clock};
}

std::string WithParam(const std::string& url, const std::string& param) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + param;
}

class InstancesTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam())); }
  Config MakeConfig() {
    Config c;
    c.database = tdb_->url();
    return c;
  }
  // The live leases at `now` (released ones stay as expired rows).
  std::vector<store::NodeHolder> Holders(Clock::TimePoint now = Clock::System()->Now()) {
    auto h = store::NodeLease::List(tdb_->db(), ctx_);
    EXPECT_TRUE(h.ok()) << h.status();
    std::vector<store::NodeHolder> live;
    if (h.ok()) {
      for (const auto& row : *h) {
        if (row.expires_at > now) live.push_back(row);
      }
    }
    return live;
  }
  std::unique_ptr<TestDatabase> tdb_;
  RequestContext ctx_;
};

TEST_P(InstancesTest, EachPlatformLeasesItsOwnNodeIdAndCloseReleasesIt) {
  std::vector<std::unique_ptr<Platform>> platforms;
  std::set<int> nodes;
  for (int i = 0; i < 6; ++i) {
    ASSERT_OK_AND_ASSIGN(auto p, Platform::Open(MakeConfig(), InstanceOptions()));
    ASSERT_NE(p->deps().ids, nullptr);
    const int node = p->deps().ids->node_id();
    nodes.insert(node);
    ASSERT_OK_AND_ASSIGN(int64_t id, p->deps().ids->TryNext());
    EXPECT_EQ(DecodeId(id).node, node);
    platforms.push_back(std::move(p));
  }
  EXPECT_EQ(nodes.size(), 6u);
  auto holders = Holders();
  ASSERT_EQ(holders.size(), 6u);
  for (const auto& h : holders) {
    EXPECT_TRUE(nodes.count(h.node_id)) << h.node_id;
    EXPECT_EQ(h.source, "LEASED");
    EXPECT_EQ(h.pid, static_cast<int64_t>(::getpid()));
  }
  // Close stops the heartbeat thread at once (its interval is 10 s) and deletes the row.
  const int first = platforms[0]->deps().ids->node_id();
  ASSERT_OK(platforms[0]->Close());
  holders = Holders();
  EXPECT_EQ(holders.size(), 5u);
  for (const auto& h : holders) EXPECT_NE(h.node_id, first);
  EXPECT_THAT(platforms[0]->Heartbeat(), StatusIs(absl::StatusCode::kFailedPrecondition));
  platforms.clear();  // destructors close too
  EXPECT_TRUE(Holders().empty());
}

TEST_P(InstancesTest, ConfiguredNodeIdIsRegisteredAndAConflictRefusesToOpen) {
  Config config = MakeConfig();
  config.node_id = 3;
  ASSERT_OK_AND_ASSIGN(auto a, Platform::Open(config, InstanceOptions()));
  EXPECT_EQ(a->deps().ids->node_id(), 3);
  auto holders = Holders();
  ASSERT_EQ(holders.size(), 1u);
  EXPECT_EQ(holders[0].node_id, 3);
  EXPECT_EQ(holders[0].source, "CONFIGURED");
  EXPECT_THAT(Platform::Open(config, InstanceOptions()).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("node_id 3 is in use")));
  ASSERT_OK(a->Close());
  ASSERT_OK_AND_ASSIGN(auto b, Platform::Open(config, InstanceOptions()));  // free again
  EXPECT_EQ(b->deps().ids->node_id(), 3);
}

TEST_P(InstancesTest, NoFreeNodeIdRefusesToOpenWithResourceExhausted) {
  ASSERT_OK_AND_ASSIGN(auto first, Platform::Open(MakeConfig(), InstanceOptions()));  // migrates
  const int mine = first->deps().ids->node_id();
  std::vector<store::NodeLease> others;
  for (int id = 0; id < store::NodeLease::kNodeCount; ++id) {
    if (id == mine) continue;
    ASSERT_OK_AND_ASSIGN(store::NodeLease l, store::NodeLease::Claim(tdb_->db(), ctx_, id, {.host = "elsewhere"}));
    others.push_back(l);
  }
  EXPECT_THAT(
      Platform::Open(MakeConfig(), InstanceOptions()).status(),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("every node id is held by a live instance")));
  const int freed = others[10].node_id();
  ASSERT_OK(others[10].Release(tdb_->db(), ctx_));
  ASSERT_OK_AND_ASSIGN(auto second, Platform::Open(MakeConfig(), InstanceOptions()));
  EXPECT_EQ(second->deps().ids->node_id(), freed);
}

// A process paused longer than the TTL loses its node id to another instance: it stops issuing ids
// under it at once, and its next heartbeat takes a fresh lease.
TEST_P(InstancesTest, ALostLeaseStopsIdsUnderItsNodeAndIsReplaced) {
  ManualClock clock(kStart);
  Config config = MakeConfig();
  config.node_lease_ttl = std::chrono::hours(2);  // the background heartbeat (1 h) never fires here
  config.node_heartbeat = std::chrono::hours(1);
  ASSERT_OK_AND_ASSIGN(auto a, Platform::Open(config, InstanceOptions(&clock)));
  IdGenerator& ids = *a->deps().ids;
  const int node = ids.node_id();
  ASSERT_OK_AND_ASSIGN(model::User author, a->accounts().Register(ctx_, {.email = "p@example.com", .username = "paused",
                                                                         .password = "correct horse battery"}));
  ASSERT_OK_AND_ASSIGN(int64_t before, ids.TryNext());

  clock.Advance(std::chrono::hours(2) + std::chrono::seconds(1));  // "paused": no heartbeat
  Config thief = config;
  thief.node_id = node;
  ASSERT_OK_AND_ASSIGN(auto b, Platform::Open(thief, InstanceOptions(&clock)));
  EXPECT_EQ(b->deps().ids->node_id(), node);
  // A's ids under `node` stopped when its validity ended (before the lease could expire).
  EXPECT_THAT(ids.TryNext(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("was not renewed in time")));
  // The services fail clearly instead of writing under a node id that may be someone else's — unless
  // the keeper thread, nudged by that lapse, has already taken a fresh lease: then the write is under
  // the new node id. Never under `node`.
  auto paused = a->content().CreatePost(ctx_, {.author_id = author.id.value, .content = "while paused"});
  if (paused.ok()) {
    EXPECT_NE(DecodeId(paused->id.value).node, node);
  } else {
    EXPECT_THAT(paused.status(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("node_id")));
  }
  // Its heartbeat finds the lease lost and takes another node id.
  (void)a->Heartbeat();
  ASSERT_OK(a->Heartbeat());
  ASSERT_OK_AND_ASSIGN(model::Post post, a->content().CreatePost(ctx_, {.author_id = author.id.value, .content = "resumed"}));
  EXPECT_EQ(DecodeId(post.id.value).node, ids.node_id());
  EXPECT_NE(ids.node_id(), node);
  ASSERT_OK_AND_ASSIGN(int64_t after, ids.TryNext());
  EXPECT_EQ(DecodeId(after).node, ids.node_id());
  EXPECT_GT(after, before);
  // The thief's row is intact; A's new row is its own.
  std::map<int, std::string> rows;
  for (const auto& h : Holders(clock.Now())) rows[h.node_id] = h.source;
  EXPECT_EQ(rows[node], "CONFIGURED");
  EXPECT_EQ(rows[ids.node_id()], "LEASED");
  ASSERT_OK(a->Close());
  ASSERT_EQ(Holders(clock.Now()).size(), 1u);  // A released only its own lease
}

// A node id released and taken again within the same millisecond: the new holder's ids still come
// after (and never equal) the previous holder's.
TEST_P(InstancesTest, ANodeIdHandedOverInTheSameMillisecondNeverRepeatsAnId) {
  ManualClock clock(kStart);
  Config config = MakeConfig();
  config.node_id = 5;
  std::vector<int64_t> first;
  {
    ASSERT_OK_AND_ASSIGN(auto a, Platform::Open(config, InstanceOptions(&clock)));
    for (int i = 0; i < 50; ++i) first.push_back(a->deps().ids->Next());
    ASSERT_OK(a->Close());
    EXPECT_FALSE(a->deps().ids->TryNext().ok());  // a closed platform issues no more ids
  }
  ASSERT_OK_AND_ASSIGN(auto b, Platform::Open(config, InstanceOptions(&clock)));  // same manual millisecond
  ASSERT_OK_AND_ASSIGN(int64_t next, b->deps().ids->TryNext());
  EXPECT_EQ(DecodeId(next).node, 5);
  EXPECT_GT(next, first.back());
  EXPECT_GT(DecodeId(next).unix_millis, DecodeId(first.back()).unix_millis);
}

std::string HexOf(const std::string& bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

TEST_P(InstancesTest, CursorsFromOneInstanceWorkOnAnotherAndSurviveRotationWithinTheGrace) {
  ManualClock clock(kStart);
  Config config = MakeConfig();
  config.node_lease_ttl = std::chrono::hours(48);
  config.node_heartbeat = std::chrono::hours(24);
  config.cursor_key_grace = std::chrono::hours(1);
  ASSERT_OK_AND_ASSIGN(auto a, Platform::Open(config, InstanceOptions(&clock)));
  ASSERT_OK_AND_ASSIGN(model::User author, a->accounts().Register(ctx_, {.email = "au@example.com", .username = "author",
                                                                         .password = "correct horse battery"}));
  std::vector<PostId> posts;
  for (int i = 0; i < 6; ++i) {
    clock.Advance(std::chrono::milliseconds(1));
    ASSERT_OK_AND_ASSIGN(model::Post p, a->content().CreatePost(ctx_, {.author_id = author.id.value,
                                                                       .content = absl::StrCat("post ", i)}));
    posts.insert(posts.begin(), p.id);  // newest first
  }
  ASSERT_OK_AND_ASSIGN(auto page1, a->feed().Timeline(ctx_, author.id, author.id, {.limit = 2}));
  ASSERT_FALSE(page1.next_cursor.empty());
  // Another instance (its own codec, keyed from the same database) continues the list.
  ASSERT_OK_AND_ASSIGN(auto b, Platform::Open(config, InstanceOptions(&clock)));
  ASSERT_OK_AND_ASSIGN(auto page2, b->feed().Timeline(ctx_, author.id, author.id, {.limit = 2, .cursor = page1.next_cursor}));
  ASSERT_EQ(page2.items.size(), 2u);
  EXPECT_EQ(page2.items[0].id, posts[2]);
  EXPECT_EQ(page2.items[1].id, posts[3]);

  // `daira keys rotate`: a new current key; both instances pick it up at their next heartbeat.
  ASSERT_OK(store::CursorKeys::Rotate(a->database(), ctx_, &clock).status());
  ASSERT_OK(a->Heartbeat());
  ASSERT_OK(b->Heartbeat());
  EXPECT_EQ(a->deps().cursors->accepted_key_count(), 2u);
  // Old cursors are still accepted within the grace; new ones are signed with the new key.
  ASSERT_OK_AND_ASSIGN(auto again, a->feed().Timeline(ctx_, author.id, author.id, {.limit = 2, .cursor = page1.next_cursor}));
  EXPECT_EQ(again.items[0].id, posts[2]);
  ASSERT_OK_AND_ASSIGN(auto fresh, a->feed().Timeline(ctx_, author.id, author.id, {.limit = 2}));
  ASSERT_OK_AND_ASSIGN(auto keys, store::CursorKeys::List(a->database(), ctx_));
  ASSERT_OK_AND_ASSIGN(query::CursorCodec new_only, query::CursorCodec::Create(keys.front().secret));
  EXPECT_OK(new_only.Decode(fresh.next_cursor, absl::StrCat("timeline:", author.id.value), {query::KeyType::kInt64})
                .status());
  // After the grace the old key is dropped: its cursors are InvalidArgument naming the cursor.
  clock.Advance(std::chrono::hours(1));
  ASSERT_OK(b->Heartbeat());
  EXPECT_EQ(b->deps().cursors->accepted_key_count(), 1u);
  auto stale = b->feed().Timeline(ctx_, author.id, author.id, {.limit = 2, .cursor = page1.next_cursor});
  EXPECT_THAT(stale.status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("signature does not verify")));
  EXPECT_EQ(StatusField(stale.status()), "cursor");
  ASSERT_OK(b->feed().Timeline(ctx_, author.id, author.id, {.limit = 2, .cursor = fresh.next_cursor}).status());
}

TEST_P(InstancesTest, AConfiguredCursorKeyOverridesTheDatabase) {
  ASSERT_OK_AND_ASSIGN(auto other_db, TestDatabase::Create(GetParam()));
  const std::string key(32, '\x5a');
  Config one = MakeConfig();
  one.cursor_key = HexOf(key);
  Config two;
  two.database = other_db->url();
  two.cursor_key = absl::AsciiStrToUpper(HexOf(key));  // hex digits in either case
  ASSERT_OK_AND_ASSIGN(auto a, Platform::Open(one, InstanceOptions()));
  ASSERT_OK_AND_ASSIGN(auto b, Platform::Open(two, InstanceOptions()));
  const query::Cursor c{.scope = "followers:42", .keys = {int64_t{7}}};
  const std::string token = a->deps().cursors->Encode(c);
  EXPECT_OK(b->deps().cursors->Decode(token, "followers:42", {query::KeyType::kInt64}).status());
  ASSERT_OK_AND_ASSIGN(query::CursorCodec direct, query::CursorCodec::Create(key));
  EXPECT_OK(direct.Decode(token, "followers:42", {query::KeyType::kInt64}).status());
  // A platform keyed from the database does not accept it.
  ASSERT_OK_AND_ASSIGN(auto c2, Platform::Open(MakeConfig(), InstanceOptions()));
  EXPECT_THAT(c2->deps().cursors->Decode(token, "followers:42", {query::KeyType::kInt64}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Config bad = MakeConfig();
  bad.cursor_key = "abc";
  EXPECT_THAT(Platform::Open(bad, InstanceOptions()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cursor_key must be 64 hex digits")));
}

// A fork()ed child of a process holding a Platform never issues ids under the parent's node id.
TEST_P(InstancesTest, AForkedChildRefusesTheParentsNodeId) {
  ASSERT_OK_AND_ASSIGN(auto p, Platform::Open(MakeConfig(), InstanceOptions()));
  const int node = p->deps().ids->node_id();
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<int64_t> id = p->deps().ids->TryNext();
    if (id.ok() || id.status().code() != absl::StatusCode::kFailedPrecondition) _exit(10);
    if (DecodeId(p->deps().ids->Next()).node == node) _exit(11);
    _exit(0);  // no destructors: the parent's Platform is not the child's to close
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  ASSERT_OK_AND_ASSIGN(int64_t mine, p->deps().ids->TryNext());
  EXPECT_EQ(DecodeId(mine).node, node);
}

DAIRA_INSTANTIATE_SQL_BACKENDS(InstancesTest);

// ---- Separate processes ----

struct Spawned {
  pid_t pid = -1;
  std::string out_path;
  std::string err_path;
};

std::string TempPath(const std::string& tag) {
  char path[] = "/tmp/daira_instances_XXXXXX";
  int fd = mkstemp(path);
  if (fd >= 0) close(fd);
  return std::string(path) + "." + tag;
}

// fork+exec of the worker (posix_spawn), stdout and stderr to files.
Spawned Spawn(const std::vector<std::string>& args) {
  Spawned s;
  s.out_path = TempPath("out");
  s.err_path = TempPath("err");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, s.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, s.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> all = {DAIRA_INSTANCE_WORKER};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (posix_spawn(&s.pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) s.pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return s;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int Wait(const Spawned& s) {
  int status = 0;
  if (s.pid < 0 || waitpid(s.pid, &status, 0) != s.pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class InstanceProcessesTest : public InstancesTest {};

// 16 processes open a Platform each on one database and create users and posts at the same time:
// no duplicate id, no AlreadyExists (before node leases two of them would share a node id by chance).
TEST_P(InstanceProcessesTest, SixteenProcessesWritingConcurrentlyNeverCollide) {
  ASSERT_OK_AND_ASSIGN(auto parent, Platform::Open(MakeConfig(), InstanceOptions()));  // migrates
  const std::string url = WithParam(tdb_->url(), "pool_min=1&pool_max=3");
  constexpr int kProcesses = 16, kUsers = 2, kPosts = 25;
  std::vector<Spawned> workers;
  for (int i = 0; i < kProcesses; ++i) {
    const std::string out = TempPath("ids");
    workers.push_back(Spawn({"write", url, std::to_string(kUsers), std::to_string(kPosts), out}));
    workers.back().out_path = out;  // the ids file (stdout is not used by `write`)
    ASSERT_GT(workers.back().pid, 0);
  }
  std::set<int64_t> ids;
  std::set<int> nodes;
  size_t total = 0;
  for (const Spawned& w : workers) {
    const int code = Wait(w);
    EXPECT_EQ(code, 0) << (code == 3 ? "AlreadyExists: " : "") << ReadFile(w.err_path);
    std::istringstream in(ReadFile(w.out_path));
    std::string kind;
    int64_t id = 0;
    std::set<int> worker_nodes;
    while (in >> kind >> id) {
      ++total;
      ids.insert(id);
      worker_nodes.insert(DecodeId(id).node);
    }
    EXPECT_EQ(worker_nodes.size(), 1u) << "one leased node id per process";
    nodes.insert(worker_nodes.begin(), worker_nodes.end());  // a finished worker's node id may be reused
    unlink(w.out_path.c_str());
    unlink(w.err_path.c_str());
  }
  EXPECT_EQ(total, static_cast<size_t>(kProcesses * (kUsers + kPosts)));
  EXPECT_EQ(ids.size(), total) << "duplicate ids across processes";
  EXPECT_EQ(nodes.count(parent->deps().ids->node_id()), 0u);
  ASSERT_OK_AND_ASSIGN(int64_t posts, parent->posts().Count(ctx_));
  EXPECT_EQ(posts, kProcesses * kPosts);
  // Every worker released its lease at Close: only the parent's remains.
  EXPECT_EQ(Holders().size(), 1u);
}

// Page 1 of a list from one process, page 2 from another (each a fresh process with its own codec):
// the cursor key comes from the database, not from the process.
TEST_P(InstanceProcessesTest, PageOneFromOneProcessPageTwoFromAnother) {
  ASSERT_OK_AND_ASSIGN(auto parent, Platform::Open(MakeConfig(), InstanceOptions()));
  ASSERT_OK_AND_ASSIGN(model::User author, parent->accounts().Register(
                                               ctx_, {.email = "pager@example.com", .username = "pager",
                                                      .password = "correct horse battery"}));
  for (int i = 0; i < 7; ++i) {
    ASSERT_OK(parent->content().CreatePost(ctx_, {.author_id = author.id.value, .content = absl::StrCat("p", i)}).status());
  }
  ASSERT_OK_AND_ASSIGN(auto all, parent->feed().Timeline(ctx_, author.id, author.id, {.limit = 7}));
  ASSERT_EQ(all.items.size(), 7u);

  auto run_page = [&](const std::string& cursor, std::vector<int64_t>& got, std::string& next) {
    Spawned s = Spawn({"page", tdb_->url(), std::to_string(author.id.value), "3", cursor});
    ASSERT_GT(s.pid, 0);
    ASSERT_EQ(Wait(s), 0) << ReadFile(s.err_path);
    std::istringstream in(ReadFile(s.out_path));
    std::string kind, value;
    while (in >> kind >> value) {
      if (kind == "post") got.push_back(std::stoll(value));
      if (kind == "next") next = value;
    }
    unlink(s.out_path.c_str());
    unlink(s.err_path.c_str());
  };
  std::vector<int64_t> first, second;
  std::string next1, next2;
  run_page("-", first, next1);
  ASSERT_EQ(first.size(), 3u);
  ASSERT_NE(next1, "-");
  run_page(next1, second, next2);  // another process
  ASSERT_EQ(second.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(first[i], all.items[i].id.value);
    EXPECT_EQ(second[i], all.items[3 + i].id.value);
  }
  // And this process continues what the second one handed out.
  ASSERT_OK_AND_ASSIGN(auto third, parent->feed().Timeline(ctx_, author.id, author.id, {.limit = 3, .cursor = next2}));
  ASSERT_EQ(third.items.size(), 1u);
  EXPECT_EQ(third.items[0].id, all.items[6].id);
}

DAIRA_INSTANTIATE_SQL_BACKENDS(InstanceProcessesTest);

}  // namespace
}  // namespace daira
