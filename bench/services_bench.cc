// The services on a seeded dataset through daira versus a raw hand-written driver baseline running the
// same statements, in the same process and run (ARCHITECTURE.md §6's table; docs/performance.md).
//
// Fixture: store::Seed's deterministic Zipf world — DAIRA_BENCH_USERS users (default 100,000),
// DAIRA_BENCH_POSTS posts (default 10 × users), users/10 videos, users comments, 5 × users likes,
// 20 follows per user on average. SQLite: the file DAIRA_BENCH_DB (default
// $TMPDIR/daira_services_bench_u<users>_p<posts>.db), reused when its marker row matches the options,
// else deleted and reseeded (100k/1M: minutes; 11 min at load average 12). Postgres, when DAIRA_BENCH_PG or
// DAIRA_TEST_PG holds a URL: schema daira_bench_services, reused the same way (never dropped).
//
// Cases, per backend (<op>/<backend>/raw and <op>/<backend>/daira):
//   user_lookup         UserRepository::Get by id (all non-secret columns)
//   search_users_20     Search::Users, first page of 20, prefix queries ("ali", "sara", ...)
//   home_feed_20        Feed::Home, first page of 20 hydrated posts, viewers following about the mean
//   batch_100_users     UserRepository::GetMany of 100 distinct ids
//   user_stats          Profiles::Stats
//   trending_videos_20  Trending::Videos, top 20 of the last 24 h (the clock is pinned to the data)
//   home_feed_20_warm   Feed::Home through the feed cache (docs/cache.md, "Feed cache"), every reader's
//                       list already built; the raw baseline is today's uncached home feed statement
//   home_feed_20_cold   the same with the reader's list dropped before each call (rebuild + read)
// The feed cache is in-process (memory:) on SQLite; on Postgres it is Redis when DAIRA_BENCH_REDIS or
// DAIRA_TEST_REDIS names one (keys under the prefix daira_bench_feed:), else in-process.
// Inputs rotate over fixed pseudo-random sets, the same sequence for daira and raw. Every daira case
// also runs the raw baseline (half before, half after its own loop) and reports raw_ns (raw wall
// ns/op), ratio_vs_raw and cpu_ratio_vs_raw (wall and this thread's CPU), stmts_per_op (statements
// counted on the RequestContext: on Postgres each one is a round trip) and raw_stmts_per_op.
// Before running, each case compares daira's and the raw baseline's results on a few inputs and
// exits with an error if they differ. DAIRA_BENCH_PRINT_SQL=1 prints the statements; daira's
// slow-statement log is silenced (slow_statement_ms) so that seeding does not flood stderr.
//
//   ./build/bench/bench/services_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "baselines/services_pg_baseline.h"
#include "baselines/services_raw.h"
#include "baselines/services_sqlite_baseline.h"
#include "cache/open_cache.h"
#include "daira/core/clock.h"
#include "daira/core/request_context.h"
#include "daira/query/keyset.h"
#include "daira/services/feed.h"
#include "daira/services/profiles.h"
#include "daira/services/search.h"
#include "daira/services/service_deps.h"
#include "daira/services/trending.h"
#include "daira/services/user_repository.h"
#include "daira/store/database.h"
#include "daira/store/migrator.h"
#include "daira/store/seed.h"
#include "services/content_internal.h"
#include "services/search_internal.h"

namespace {

namespace store = daira::store;
namespace services = daira::services;
using daira::RequestContext;
using daira::UserId;
using daira_bench::RawServices;

constexpr int kPage = 20;
constexpr int kBatch = 100;
constexpr auto kTrendingWindow = std::chrono::hours(24);
constexpr char kPgSchema[] = "daira_bench_services";

// Realistic type-ahead prefixes of the seed's first names (store/seed.cc), lower-case.
const char* const kQueries[] = {"ali",  "sara", "omar", "emma", "lay", "kar",  "noah", "mia",
                                "john", "gra",  "yous", "hana", "luc", "ravi", "chl",  "ziad"};

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v == nullptr || *v == '\0' ? fallback : std::strtoll(v, nullptr, 10);
}

struct Scale {
  int64_t users = 100000;
  int64_t posts = 1000000;
  store::SeedOptions Options() const {
    store::SeedOptions o;
    o.users = users;
    o.posts = posts;
    o.videos = std::max<int64_t>(1, users / 10);
    o.comments = users;
    o.likes = 5 * users;
    return o;
  }
  // Stored with the data: a cached fixture is reused only when this matches.
  std::string Marker() const {
    const store::SeedOptions o = Options();
    return absl::StrCat("services_bench v1 users=", o.users, " posts=", o.posts, " videos=", o.videos,
                        " comments=", o.comments, " likes=", o.likes, " follows=", o.avg_following, " seed=", o.seed);
  }
};

enum class Op { kUserLookup, kSearch, kHomeFeed, kBatch, kStats, kTrending, kHomeFeedWarm, kHomeFeedCold };
constexpr Op kAllOps[] = {Op::kUserLookup, Op::kSearch,   Op::kHomeFeed,     Op::kBatch,
                          Op::kStats,      Op::kTrending, Op::kHomeFeedWarm, Op::kHomeFeedCold};

struct Inputs {
  std::vector<int64_t> users;                 // lookups and stats
  std::vector<std::vector<int64_t>> batches;  // 100 distinct ids each
  std::vector<std::vector<UserId>> batch_ids;
  std::vector<int64_t> viewers;               // following about the mean
  std::vector<std::string> queries;
  int64_t now = 0;                            // the pinned clock, micros
};

struct Fixture {
  std::string name;  // "sqlite" / "postgres"
  std::unique_ptr<store::Database> db;
  std::unique_ptr<daira::ManualClock> clock;
  services::ServiceDeps deps;
  std::unique_ptr<services::UserRepository> users;
  std::unique_ptr<services::Search> search;
  std::unique_ptr<services::Feed> feed;
  std::unique_ptr<daira::cache::Cache> cache;      // the feed cache's (memory:, or Redis on Postgres)
  std::unique_ptr<services::Feed> cached_feed;     // Feed::Home through it
  std::unique_ptr<services::Profiles> profiles;
  std::unique_ptr<services::Trending> trending;
  std::unique_ptr<RawServices> raw;
  Inputs in;
  std::string fixture_note;  // seeded or reused, how long
};

std::string Message(const absl::Status& s) { return std::string(s.message()); }

// --- one operation --------------------------------------------------------------------------------

// Scratch for the raw path (a hand-written client reuses its buffers).
struct RawScratch {
  daira_bench::RawUserRow user;
  std::vector<daira_bench::RawUserRow> users;
  std::vector<daira_bench::RawHit> hits;
  std::vector<daira_bench::RawPost> posts;
  daira_bench::RawStats stats;
  std::vector<daira_bench::RawVideo> videos;
};

template <typename T>
const T& Pick(const std::vector<T>& v, int64_t i) {
  return v[static_cast<size_t>(i) % v.size()];
}

// Runs input #i of `op` through the raw baseline; the items it produced, or -1.
int64_t RunRaw(Fixture& f, Op op, int64_t i, RawScratch& s) {
  switch (op) {
    case Op::kUserLookup: return f.raw->GetUser(Pick(f.in.users, i), &s.user) ? 1 : -1;
    case Op::kSearch: return f.raw->SearchUsers(Pick(f.in.queries, i), kPage, &s.hits);
    case Op::kHomeFeed:
    case Op::kHomeFeedWarm:
    case Op::kHomeFeedCold: return f.raw->HomeFeed(Pick(f.in.viewers, i), f.in.now, kPage, &s.posts);
    case Op::kBatch: return f.raw->GetUsers(Pick(f.in.batches, i), &s.users);
    case Op::kStats: return f.raw->Stats(Pick(f.in.users, i), &s.stats) ? 1 : -1;
    case Op::kTrending:
      return f.raw->TrendingVideos(f.in.now, std::chrono::microseconds(kTrendingWindow).count(), kPage, &s.videos);
  }
  return -1;
}

// What a daira call returned, kept for the cross-check against the raw baseline.
struct DairaResult {
  std::vector<int64_t> ids;  // result ids in order (stats: the five counters)
  std::vector<std::string> names;
};

// Runs input #i of `op` through the service; the items it produced, or -1 with *error set. `keep`
// (may be null) receives the result's ids for the cross-check.
int64_t RunDaira(Fixture& f, const RequestContext& ctx, Op op, int64_t i, std::string* error, DairaResult* keep) {
  auto fail = [&](const absl::Status& s) {
    *error = Message(s);
    return int64_t{-1};
  };
  switch (op) {
    case Op::kUserLookup: {
      auto u = f.users->Get(ctx, UserId{Pick(f.in.users, i)});
      if (!u.ok()) return fail(u.status());
      benchmark::DoNotOptimize(*u);
      if (keep) {
        keep->ids = {u->id.value};
        keep->names = {u->username.value_or("")};
      }
      return 1;
    }
    case Op::kSearch: {
      auto page = f.search->Users(ctx, {.query = Pick(f.in.queries, i), .limit = kPage});
      if (!page.ok()) return fail(page.status());
      benchmark::DoNotOptimize(*page);
      if (keep) {
        for (const auto& h : page->items) keep->ids.push_back(h.id), keep->names.push_back(h.username);
      }
      return static_cast<int64_t>(page->items.size());
    }
    case Op::kHomeFeed:
    case Op::kHomeFeedWarm:
    case Op::kHomeFeedCold: {
      const int64_t viewer = Pick(f.in.viewers, i);
      if (op == Op::kHomeFeedCold) {
        const std::string key[] = {absl::StrCat("feed:", viewer)};
        if (absl::Status st = f.cache->Invalidate(key); !st.ok()) return fail(st);
      }
      services::Feed& feed = op == Op::kHomeFeed ? *f.feed : *f.cached_feed;
      auto page = feed.Home(ctx, UserId{viewer}, {.limit = kPage});
      if (!page.ok()) return fail(page.status());
      benchmark::DoNotOptimize(*page);
      if (keep) {
        for (const auto& p : page->items) keep->ids.push_back(p.id.value), keep->names.push_back(p.author ? p.author->username : "");
      }
      return static_cast<int64_t>(page->items.size());
    }
    case Op::kBatch: {
      auto batch = f.users->GetMany(ctx, Pick(f.in.batch_ids, i));
      if (!batch.ok()) return fail(batch.status());
      benchmark::DoNotOptimize(*batch);
      if (keep) {
        for (const auto& u : batch->users) keep->ids.push_back(u.id.value), keep->names.push_back(u.username.value_or(""));
      }
      return static_cast<int64_t>(batch->users.size());
    }
    case Op::kStats: {
      auto st = f.profiles->Stats(ctx, UserId{Pick(f.in.users, i)});
      if (!st.ok()) return fail(st.status());
      benchmark::DoNotOptimize(*st);
      if (keep) keep->ids = {st->followers, st->following, st->posts, st->videos, st->likes_received};
      return 1;
    }
    case Op::kTrending: {
      auto page = f.trending->Videos(ctx, {.window = kTrendingWindow, .limit = kPage});
      if (!page.ok()) return fail(page.status());
      benchmark::DoNotOptimize(*page);
      if (keep) {
        for (const auto& v : page->items) keep->ids.push_back(v.video.id.value), keep->names.push_back(v.video.title);
      }
      return static_cast<int64_t>(page->items.size());
    }
  }
  return -1;
}

DairaResult RawResult(Op op, const RawScratch& s) {
  DairaResult r;
  switch (op) {
    case Op::kUserLookup:
      r.ids = {s.user.id};
      r.names = {s.user.username};
      break;
    case Op::kSearch:
      for (const auto& h : s.hits) r.ids.push_back(h.id), r.names.push_back(h.username);
      break;
    case Op::kHomeFeed:
    case Op::kHomeFeedWarm:
    case Op::kHomeFeedCold:
      for (const auto& p : s.posts) r.ids.push_back(p.id), r.names.push_back(p.author.username);
      break;
    case Op::kBatch:
      for (const auto& u : s.users) r.ids.push_back(u.id), r.names.push_back(u.username);
      break;
    case Op::kStats:
      r.ids = {s.stats.followers, s.stats.following, s.stats.posts, s.stats.videos, s.stats.likes_received};
      break;
    case Op::kTrending:
      for (const auto& v : s.videos) r.ids.push_back(v.id), r.names.push_back(v.title);
      break;
  }
  return r;
}

const char* OpName(Op op) {
  switch (op) {
    case Op::kUserLookup: return "user_lookup";
    case Op::kSearch: return "search_users_20";
    case Op::kHomeFeed: return "home_feed_20";
    case Op::kBatch: return "batch_100_users";
    case Op::kStats: return "user_stats";
    case Op::kTrending: return "trending_videos_20";
    case Op::kHomeFeedWarm: return "home_feed_20_warm";
    case Op::kHomeFeedCold: return "home_feed_20_cold";
  }
  return "?";
}

// daira and the raw baseline must return the same rows for the first inputs of every case (catches a
// service whose SQL changed without the baseline following).
bool CrossCheck(Fixture& f) {
  bool ok = true;
  for (Op op : kAllOps) {
    for (int64_t i = 0; i < 4; ++i) {
      RequestContext ctx;
      DairaResult d;
      std::string error;
      RawScratch s;
      const int64_t dn = RunDaira(f, ctx, op, i, &error, &d);
      const int64_t rn = RunRaw(f, op, i, s);
      const DairaResult r = RawResult(op, s);
      if (dn < 0 || rn < 0 || d.ids != r.ids || d.names != r.names || (op != Op::kStats && dn == 0)) {
        std::fprintf(stderr, "services_bench: %s/%s input %lld: daira (%lld items%s%s) and raw (%lld items) differ%s\n",
                     OpName(op), f.name.c_str(), static_cast<long long>(i), static_cast<long long>(dn),
                     error.empty() ? "" : ", ", error.c_str(), static_cast<long long>(rn),
                     dn == 0 ? " (or returned nothing)" : "");
        ok = false;
        break;
      }
    }
  }
  return ok;
}

// --- timing ---------------------------------------------------------------------------------------

struct Clocks {
  int64_t wall_ns;
  int64_t cpu_ns;
  static Clocks Now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return {std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
                .count(),
            int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec};
  }
};

struct Cost {
  double wall_ns = 0;
  double cpu_ns = 0;
  int64_t ops = 0;
  void Add(const Clocks& start, const Clocks& end, int64_t n) {
    wall_ns += static_cast<double>(end.wall_ns - start.wall_ns);
    cpu_ns += static_cast<double>(end.cpu_ns - start.cpu_ns);
    ops += n;
  }
  double WallPerOp() const { return ops == 0 ? 0 : wall_ns / static_cast<double>(ops); }
  double CpuPerOp() const { return ops == 0 ? 0 : cpu_ns / static_cast<double>(ops); }
};

// Runs the raw baseline over inputs [0, n); false on a failure.
bool RawLoop(Fixture& f, Op op, int64_t n, Cost* cost) {
  RawScratch s;
  const Clocks start = Clocks::Now();
  for (int64_t i = 0; i < n; ++i) {
    if (RunRaw(f, op, i, s) < 0) return false;
    benchmark::ClobberMemory();
  }
  cost->Add(start, Clocks::Now(), n);
  return true;
}

void BM_Raw(benchmark::State& state, Fixture* f, Op op) {
  RawScratch s;
  int64_t i = 0, items = 0;
  const int64_t stmts = f->raw->statements();
  for (auto _ : state) {
    const int64_t n = RunRaw(*f, op, i++, s);
    if (n < 0) return state.SkipWithError("raw baseline failed (see stderr)");
    items += n;
    benchmark::ClobberMemory();
  }
  state.counters["ratio_vs_raw"] = 1.0;
  state.counters["stmts_per_op"] =
      static_cast<double>(f->raw->statements() - stmts) / static_cast<double>(std::max<int64_t>(1, state.iterations()));
  state.counters["items_per_op"] = static_cast<double>(items) / static_cast<double>(std::max<int64_t>(1, state.iterations()));
}

void BM_Daira(benchmark::State& state, Fixture* f, Op op) {
  RequestContext ctx;
  Cost raw, daira;
  const int64_t half = std::max<int64_t>(1, state.max_iterations / 2);
  const int64_t raw_stmts = f->raw->statements();
  if (!RawLoop(*f, op, half, &raw)) return state.SkipWithError("raw baseline failed (see stderr)");
  std::string error;
  if (op == Op::kHomeFeedWarm) {  // every reader's list built before the clock starts
    for (int64_t k = 0; k < static_cast<int64_t>(f->in.viewers.size()); ++k) {
      if (RunDaira(*f, ctx, op, k, &error, nullptr) < 0) return state.SkipWithError(error.c_str());
    }
  }
  int64_t i = 0, items = 0;
  const int64_t stmts = ctx.statements();
  const Clocks start = Clocks::Now();
  for (auto _ : state) {
    const int64_t n = RunDaira(*f, ctx, op, i++, &error, nullptr);
    if (n < 0) return state.SkipWithError(error.c_str());
    items += n;
  }
  daira.Add(start, Clocks::Now(), state.iterations());
  const int64_t daira_stmts = ctx.statements() - stmts;
  if (!RawLoop(*f, op, half, &raw)) return state.SkipWithError("raw baseline failed (see stderr)");
  const double iters = static_cast<double>(std::max<int64_t>(1, state.iterations()));
  state.counters["raw_ns"] = raw.WallPerOp();
  state.counters["ratio_vs_raw"] = raw.WallPerOp() > 0 ? daira.WallPerOp() / raw.WallPerOp() : 0;
  state.counters["cpu_ratio_vs_raw"] = raw.CpuPerOp() > 0 ? daira.CpuPerOp() / raw.CpuPerOp() : 0;
  state.counters["stmts_per_op"] = static_cast<double>(daira_stmts) / iters;
  state.counters["raw_stmts_per_op"] =
      static_cast<double>(f->raw->statements() - raw_stmts) / static_cast<double>(std::max<int64_t>(1, raw.ops));
  state.counters["items_per_op"] = static_cast<double>(items) / iters;
}

// --- fixtures -------------------------------------------------------------------------------------

// The statements the services run, for the raw baselines. Where the service's builder is reachable
// (public or exposed for tests) the text comes from it, so it cannot drift; the others are copies of
// the service's literal SQL, kept honest by CrossCheck.
daira_bench::ServicesSql StatementsFor(store::Backend backend, const store::Database& db, std::string* error) {
  daira_bench::ServicesSql sql;
  const std::string user_cols = services::UserColumns().SelectList(services::AllUserFields());
  sql.user_get = absl::StrCat("SELECT ", user_cols, " FROM users WHERE id = ?");
  sql.user_batch = absl::StrCat("SELECT ", user_cols, " FROM users WHERE ", db.dialect().InArray("id"));
  // Search::Users: the keyset statement of the first page (limit + 1 rows). Every single-word query
  // yields the same text; the baseline computes the parameter values itself, and the role of each
  // `?` is read off the service's parameters for a probe query (an unknown one is an error).
  const std::string probe = "ali";
  const daira::query::KeysetQuery kq = services::internal::UserSearchQuery(backend, probe);
  auto st = daira::query::BuildKeysetStatement(kq, nullptr, kPage + 1);
  if (!st.ok()) {
    *error = "search statement: " + Message(st.status());
    return sql;
  }
  sql.search = st->sql;
  const daira_bench::SearchTerms t = daira_bench::MakeSearchTerms(probe, kPage);
  using daira_bench::SearchParam;
  for (const store::Value& v : st->params) {
    std::optional<SearchParam> role;
    if (v.type() == store::ValueType::kInt64) {
      if (v.int64() == t.length) role = SearchParam::kLength;
      if (v.int64() == t.fetch) role = SearchParam::kFetch;
    } else if (v.type() == store::ValueType::kText) {
      for (SearchParam p : {SearchParam::kQuery, SearchParam::kPrefixEnd, SearchParam::kUpperBound,
                            SearchParam::kLikePrefix, SearchParam::kFts5Prefix, SearchParam::kFts5Word,
                            SearchParam::kTsPrefix, SearchParam::kTsWord}) {
        if (v.text() == daira_bench::SearchText(t, p)) role = p;
      }
    }
    if (!role.has_value()) {
      *error = absl::StrCat("search statement: parameter ", sql.search_params.size() + 1, " (", v.DebugString(),
                            ") is not one the raw baseline knows how to compute: teach services_raw.h");
      return sql;
    }
    sql.search_params.push_back(*role);
  }
  sql.home = services::internal::HomeFeedSql(backend, /*backward=*/false, kPage + 1);
  sql.authors = absl::StrCat(
      "SELECT u.id, u.username, u.avatar_url, u.is_verified, pr.display_name "
      "FROM users u LEFT JOIN user_profiles pr ON pr.user_id = u.id WHERE ",
      db.dialect().InArray("u.id"));
  sql.stats =
      "SELECT p.followers_count, p.following_count, p.posts_count, p.videos_count, "
      "p.likes_received_count FROM user_profiles p JOIN users u ON u.id = p.user_id "
      "WHERE p.user_id = ? AND u.status <> 'DELETED'";
  sql.trending = absl::StrCat("SELECT ", services::internal::kVideoColumns,
                              " FROM videos WHERE status = 'PUBLISHED' AND published_at >= ? AND published_at <= ?"
                              " AND visibility = 'PUBLIC' ORDER BY published_at DESC LIMIT ",
                              services::kTrendingVideoCandidates);
  if (std::getenv("DAIRA_BENCH_PRINT_SQL") != nullptr) {
    for (const std::string* q : {&sql.user_get, &sql.user_batch, &sql.search, &sql.home, &sql.authors, &sql.stats,
                                 &sql.trending}) {
      std::fprintf(stderr, "services_bench: %s SQL: %s\n", backend == store::Backend::kPostgres ? "postgres" : "sqlite", q->c_str());
    }
  }
  return sql;
}

// Seeds `db` (migrated) unless its marker matches; sets *note.
bool SeedIfNeeded(store::Database& db, const Scale& scale, bool analyze, std::string* note) {
  RequestContext ctx;
  auto marker = db.Read(ctx, "SELECT options FROM bench_seed_marker");
  if (marker.ok() && marker->size() == 1 && marker->front().Text(0) == scale.Marker()) {
    *note = "reused (marker matches)";
    return true;
  }
  std::fprintf(stderr, "services_bench: seeding %s (%lld users, %lld posts): this takes a while...\n",
               db.endpoint().c_str(), static_cast<long long>(scale.users), static_cast<long long>(scale.posts));
  const auto start = std::chrono::steady_clock::now();
  auto report = store::Seed(db, ctx, scale.Options());
  if (!report.ok()) {
    std::fprintf(stderr, "services_bench: seed: %s\n", Message(report.status()).c_str());
    return false;
  }
  if (analyze) {
    auto a = db.Execute(ctx, "ANALYZE");
    if (!a.ok()) std::fprintf(stderr, "services_bench: ANALYZE: %s\n", Message(a.status()).c_str());
  }
  auto created = db.Execute(ctx, "CREATE TABLE bench_seed_marker (options TEXT NOT NULL)");
  auto inserted = created.ok() ? db.Execute(ctx, "INSERT INTO bench_seed_marker (options) VALUES (?)", {scale.Marker()})
                               : created;
  if (!inserted.ok()) {
    std::fprintf(stderr, "services_bench: marker: %s\n", Message(inserted.status()).c_str());
    return false;
  }
  const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  *note = absl::StrCat("seeded now in ", static_cast<int64_t>(secs), " s (", report->users, " users, ", report->posts,
                       " posts, ", report->follows, " follows, ", report->videos, " videos, ", report->comments,
                       " comments, ", report->likes, " likes)");
  std::fprintf(stderr, "services_bench: %s\n", note->c_str());
  return true;
}

bool Migrate(store::Database& db) {
  RequestContext ctx;
  auto migrator = store::Migrator::Create(db);
  absl::Status s = migrator.ok() ? (*migrator)->Migrate(ctx) : migrator.status();
  if (!s.ok()) std::fprintf(stderr, "services_bench: migrate: %s\n", Message(s).c_str());
  return s.ok();
}

// Loads the rotating inputs (deterministic: fixed seeds, ordered queries).
bool LoadInputs(Fixture& f, const Scale& scale) {
  RequestContext ctx;
  auto ids = f.db->Read(ctx, "SELECT id FROM users WHERE status = 'ACTIVE' ORDER BY id");
  auto viewers = f.db->Read(ctx,
                            "SELECT user_id FROM user_profiles WHERE following_count BETWEEN ? AND ? ORDER BY user_id",
                            {scale.Options().avg_following * 4 / 5, scale.Options().avg_following * 6 / 5});
  auto latest = f.db->Read(ctx, "SELECT max(published_at) FROM videos WHERE status = 'PUBLISHED'");
  if (!ids.ok() || !viewers.ok() || !latest.ok() || ids->empty() || viewers->empty() || latest->empty()) {
    std::fprintf(stderr, "services_bench: loading inputs failed\n");
    return false;
  }
  std::vector<int64_t> all;
  all.reserve(ids->size());
  for (const store::Row& r : *ids) all.push_back(r.Int64(0));
  uint64_t x = 0x9E3779B97F4A7C15ull;
  auto next = [&x]() {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (int k = 0; k < 4096; ++k) f.in.users.push_back(all[next() % all.size()]);
  // 100 distinct ids: a stride coprime with the table size from a random start.
  size_t stride = 997;
  while (std::gcd(stride, all.size()) != 1) ++stride;
  for (int k = 0; k < 256; ++k) {
    const size_t start = next() % all.size();
    std::vector<int64_t> b;
    std::vector<UserId> u;
    for (size_t j = 0; j < static_cast<size_t>(std::min<int64_t>(kBatch, static_cast<int64_t>(all.size()))); ++j) {
      b.push_back(all[(start + j * stride) % all.size()]);
      u.push_back(UserId{b.back()});
    }
    f.in.batches.push_back(std::move(b));
    f.in.batch_ids.push_back(std::move(u));
  }
  std::vector<int64_t> vs;
  for (const store::Row& r : *viewers) vs.push_back(r.Int64(0));
  for (int k = 0; k < 256; ++k) f.in.viewers.push_back(vs[next() % vs.size()]);
  for (const char* q : kQueries) f.in.queries.emplace_back(q);
  // The clock: one hour after the newest published video, so the 24 h trending window is full.
  f.in.now = latest->front().Int64(0) + int64_t{3600} * 1000000;
  return true;
}

bool WireServices(Fixture& f, const Scale& scale) {
  if (!LoadInputs(f, scale)) return false;
  f.clock = std::make_unique<daira::ManualClock>(daira::FromUnixMicros(f.in.now));
  f.deps = services::ServiceDeps{.db = f.db.get(), .clock = f.clock.get(), .ids = nullptr};
  f.users = std::make_unique<services::UserRepository>(f.deps);
  f.search = std::make_unique<services::Search>(f.deps);
  f.feed = std::make_unique<services::Feed>(f.deps);
  std::string cache_url = "memory:";
  if (f.name == "postgres") {
    for (const char* name : {"DAIRA_BENCH_REDIS", "DAIRA_TEST_REDIS"}) {
      const char* v = std::getenv(name);
      if (v != nullptr && *v != '\0') {
        cache_url = absl::StrCat(v, std::string_view(v).find('?') == std::string_view::npos ? "?" : "&",
                                 "prefix=daira_bench_feed:");
        break;
      }
    }
  }
  auto cache = daira::cache::OpenCache(cache_url);
  if (!cache.ok()) {
    std::fprintf(stderr, "services_bench: feed cache %s: %s\n", cache_url.c_str(), Message(cache.status()).c_str());
    return false;
  }
  f.cache = *std::move(cache);
  // Lists left by an earlier run (on Redis) may describe another seed: start every reader cold.
  std::vector<std::string> keys;
  for (int64_t viewer : f.in.viewers) keys.push_back(absl::StrCat("feed:", viewer));
  if (absl::Status st = f.cache->Invalidate(keys); !st.ok()) {
    std::fprintf(stderr, "services_bench: feed cache %s: %s\n", cache_url.c_str(), Message(st).c_str());
    return false;
  }
  services::ServiceDeps cached = f.deps;
  cached.cache = f.cache.get();
  f.cached_feed = std::make_unique<services::Feed>(cached);
  benchmark::AddCustomContext(absl::StrCat("feed_cache_", f.name), f.cache->Describe());
  f.profiles = std::make_unique<services::Profiles>(f.deps);
  f.trending = std::make_unique<services::Trending>(f.deps);
  return true;
}

std::unique_ptr<Fixture> MakeSqliteFixture(const Scale& scale) {
  const char* env = std::getenv("DAIRA_BENCH_DB");
  const std::string path =
      env != nullptr && *env != '\0'
          ? std::string(env)
          : (std::filesystem::temp_directory_path() /
             absl::StrCat("daira_services_bench_u", scale.users, "_p", scale.posts, ".db"))
                .string();
  auto f = std::make_unique<Fixture>();
  f->name = "sqlite";
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto db = store::Database::Open("sqlite:" + path + "?slow_statement_ms=600000");
    if (!db.ok()) {
      std::fprintf(stderr, "services_bench: open sqlite:%s: %s\n", path.c_str(), Message(db.status()).c_str());
      return nullptr;
    }
    RequestContext ctx;
    auto marker = (*db)->Read(ctx, "SELECT options FROM bench_seed_marker");
    const bool reusable = marker.ok() && marker->size() == 1 && marker->front().Text(0) == scale.Marker();
    if (!reusable && attempt == 0 && std::filesystem::exists(path)) {
      // Stale or partial: start from an empty file.
      db->reset();
      std::error_code ec;
      for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(path + suffix, ec);
      continue;
    }
    f->db = std::move(*db);
    break;
  }
  // SQLite: no ANALYZE (daira never runs it, so an embedded app has no sqlite_stat1 either).
  if (f->db == nullptr || !Migrate(*f->db) || !SeedIfNeeded(*f->db, scale, /*analyze=*/false, &f->fixture_note)) {
    return nullptr;
  }
  f->fixture_note = absl::StrCat(path, ": ", f->fixture_note);
  if (!WireServices(*f, scale)) return nullptr;
  std::string error;
  const daira_bench::ServicesSql sql = StatementsFor(store::Backend::kSqlite, *f->db, &error);
  if (!error.empty()) {
    std::fprintf(stderr, "services_bench: sqlite: %s\n", error.c_str());
    return nullptr;
  }
  f->raw = daira_bench::SqliteServicesBaseline::Open(path, sql);
  return f->raw == nullptr ? nullptr : std::move(f);
}

std::string StripQuery(const std::string& url) { return url.substr(0, url.find('?')); }

std::unique_ptr<Fixture> MakePostgresFixture(const std::string& url, const Scale& scale) {
  // The schema, created if missing (never dropped: reseeding 1M posts is slow).
  {
    auto admin = store::Database::Open(StripQuery(url) + "?pool_min=1&pool_max=1");
    if (!admin.ok()) {
      std::fprintf(stderr, "services_bench: open postgres: %s\n", Message(admin.status()).c_str());
      return nullptr;
    }
    RequestContext ctx;
    auto marker = (*admin)->Read(ctx, absl::StrCat("SELECT options FROM ", kPgSchema, ".bench_seed_marker"));
    const bool reusable = marker.ok() && marker->size() == 1 && marker->front().Text(0) == scale.Marker();
    if (!reusable) {
      auto dropped = (*admin)->Execute(ctx, absl::StrCat("DROP SCHEMA IF EXISTS ", kPgSchema, " CASCADE"));
      auto created = dropped.ok() ? (*admin)->Execute(ctx, absl::StrCat("CREATE SCHEMA ", kPgSchema)) : dropped;
      if (!created.ok()) {
        std::fprintf(stderr, "services_bench: schema %s: %s\n", kPgSchema, Message(created.status()).c_str());
        return nullptr;
      }
    }
  }
  const std::string scoped = StripQuery(url) + "?options=-csearch_path%3D" + kPgSchema;
  auto f = std::make_unique<Fixture>();
  f->name = "postgres";
  auto db = store::Database::Open(scoped + "&pool_min=1&pool_max=4&slow_statement_ms=600000");
  if (!db.ok()) {
    std::fprintf(stderr, "services_bench: open postgres: %s\n", Message(db.status()).c_str());
    return nullptr;
  }
  f->db = std::move(*db);
  if (!Migrate(*f->db) || !SeedIfNeeded(*f->db, scale, /*analyze=*/true, &f->fixture_note)) return nullptr;
  f->fixture_note = absl::StrCat("schema ", kPgSchema, ": ", f->fixture_note);
  if (!WireServices(*f, scale)) return nullptr;
  std::string error;
  const daira_bench::ServicesSql sql = StatementsFor(store::Backend::kPostgres, *f->db, &error);
  if (!error.empty()) {
    std::fprintf(stderr, "services_bench: postgres: %s\n", error.c_str());
    return nullptr;
  }
  f->raw = daira_bench::PgServicesBaseline::Open(scoped, sql);
  return f->raw == nullptr ? nullptr : std::move(f);
}

int64_t FixedIterations() { return EnvInt("DAIRA_BENCH_ITERATIONS", 0); }

void Register(Fixture* f) {
  for (Op op : kAllOps) {
    const std::string base = absl::StrCat(OpName(op), "/", f->name, "/");
    auto* raw = benchmark::RegisterBenchmark((base + "raw").c_str(), BM_Raw, f, op);
    auto* daira = benchmark::RegisterBenchmark((base + "daira").c_str(), BM_Daira, f, op);
    for (auto* b : {raw, daira}) {
      b->Unit(benchmark::kMicrosecond);
      if (FixedIterations() > 0) b->Iterations(FixedIterations());
    }
  }
}

std::string PgUrlFromEnv() {
  for (const char* name : {"DAIRA_BENCH_PG", "DAIRA_TEST_PG"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') return v;
  }
  return "";
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a.empty() ? "?" : absl::StrCat(a, " ", b, " ", c);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  Scale scale;
  scale.users = EnvInt("DAIRA_BENCH_USERS", 100000);
  scale.posts = EnvInt("DAIRA_BENCH_POSTS", 10 * scale.users);
  if (scale.users < 100 || scale.posts < 0) {
    std::fprintf(stderr, "services_bench: DAIRA_BENCH_USERS must be >= 100 (got %lld)\n",
                 static_cast<long long>(scale.users));
    return 1;
  }
  benchmark::AddCustomContext("dataset", scale.Marker());
  benchmark::AddCustomContext("load_average_at_start", LoadAverage());

  std::vector<std::unique_ptr<Fixture>> fixtures;
  if (std::getenv("DAIRA_BENCH_NO_SQLITE") == nullptr) {
    auto sqlite = MakeSqliteFixture(scale);
    if (sqlite == nullptr) {
      std::fprintf(stderr, "services_bench: could not build the SQLite fixture\n");
      return 1;
    }
    fixtures.push_back(std::move(sqlite));
  }
  const std::string pg_url = PgUrlFromEnv();
  if (!pg_url.empty()) {
    auto pg = MakePostgresFixture(pg_url, scale);
    if (pg == nullptr) {
      std::fprintf(stderr, "services_bench: could not build the Postgres fixture at %s\n", StripQuery(pg_url).c_str());
      return 1;
    }
    fixtures.push_back(std::move(pg));
  } else {
    std::fprintf(stderr,
                 "services_bench: *** DAIRA_BENCH_PG / DAIRA_TEST_PG not set: the Postgres cases are NOT run ***\n");
  }
  for (auto& f : fixtures) {
    benchmark::AddCustomContext(absl::StrCat("fixture_", f->name), f->fixture_note);
    if (!CrossCheck(*f)) {
      std::fprintf(stderr, "services_bench: daira and the raw baseline disagree on %s: fix the baseline first\n",
                   f->name.c_str());
      return 1;
    }
    Register(f.get());
  }

  benchmark::RunSpecifiedBenchmarks();
  std::fprintf(stderr, "services_bench: load average at end: %s\n", LoadAverage().c_str());
  benchmark::Shutdown();
  return 0;
}
