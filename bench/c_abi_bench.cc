// The C ABI's per-call overhead: one user lookup by id through libdaira_c.so (JSON request in, JSON
// record out, daira_free) against the direct C++ call platform->users().Get(ctx, id), on the same
// database in the same process and run — on SQLite, and on PostgreSQL when DAIRA_TEST_PG is set.
//
// Fixtures: 1,000 users (and one post by each) registered through daira::Platform in a temp SQLite file
// (WAL), and (with DAIRA_TEST_PG) in the dedicated schema daira_bench_c_abi, dropped and re-created at start
// (the URL's search_path points there); the C ABI opens its own handle on the same database. Ids come from a
// fixed xorshift sequence over those users.
//
// Cases (<backend> = sqlite | postgres):
//   <backend>/user_get/direct       platform->users().Get(ctx, UserId{id}) → StatusOr<model::User>
//   <backend>/user_get/direct_json  the same, then the record written as JSON (what the C ABI returns)
//   <backend>/user_get/c_abi        daira_users_get(handle, "{\"id\":\"…\"}", len, &out, &err) +
//   daira_free(out) <backend>/post_get_masked/c_abi a record call with a field mask: daira_posts_get(handle,
//   "{\"id\":\"…\"}",
//                                   len, "content,likes_count", &out, &err) against the direct
//                                   platform->posts().Get(ctx, PostId{id}, {kContent, kLikesCount})
//   <backend>/<call>/json | by_id | by_id_into
//                                   the typed single-id calls (users_get, profiles_get, profiles_stats,
//                                   content_get_post): the JSON call with its {"<key>":"<id>"} request,
//                                   daira_<call>_by_id (library-allocated record) and _by_id_into (the
//                                   record into the caller's buffer), each against the direct C++ call
//                                   (users().Get, profiles().Get, profiles().Stats, content().GetPost)
// Every case except direct also runs the direct call for the same number of iterations right after its
// loop and reports direct_ns (direct wall ns/op), ratio_vs_direct (its wall ns/op ÷ direct's) and
// cpu_ratio_vs_direct (the same with this thread's CPU time, the steadier figure on a busy machine).
//
//   DAIRA_TEST_PG=postgres://… ./build/<dir>/bench/c_abi_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "daira/core/json.h"
#include "daira/core/request_context.h"
#include "daira/platform/platform.h"
#include "daira/services/post_repository.h"
#include "daira/store/database.h"
#include "daira_c.h"

namespace {

constexpr int kUsers = 1000;

constexpr const char* kPgSchema = "daira_bench_c_abi";

struct Fixture {
  std::filesystem::path dir;  // SQLite only
  std::unique_ptr<daira::Platform> platform;
  daira_platform_t* handle = nullptr;
  std::vector<int64_t> ids;
  std::vector<std::string> requests;  // {"id":"…"} per id
  std::vector<int64_t> post_ids;
  std::vector<std::string> post_requests;  // {"id":"…"} per post

  ~Fixture() {
    daira_platform_close(&handle, nullptr);
    platform.reset();
    if (!dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }
};

[[noreturn]] void Die(const char* what, const std::string& message) {
  std::fprintf(stderr, "c_abi_bench: %s: %s\n", what, message.c_str());
  std::exit(1);
}

// Registers the users through the platform, then opens the C ABI's handle on `url`.
Fixture* Populate(Fixture* fx, const std::string& url) {
  daira::PlatformOptions options;
  options.accounts = daira::services::AccountsOptions::ForTesting();
  auto platform = daira::Platform::Open(url, options);
  if (!platform.ok()) Die("open", std::string(platform.status().message()));
  fx->platform = *std::move(platform);
  daira::RequestContext ctx;
  for (int i = 0; i < kUsers; ++i) {
    daira::services::NewUser user;
    user.username = absl::StrCat("user", i);
    user.email = absl::StrCat("user", i, "@example.com");
    auto created = fx->platform->users().Create(ctx, user);
    if (!created.ok()) Die("create", std::string(created.status().message()));
    fx->ids.push_back(created->id.value);
    fx->requests.push_back(absl::StrCat("{\"id\":\"", created->id.value, "\"}"));
    daira::services::CreatePostRequest post;
    post.author_id = created->id.value;
    post.content = absl::StrCat("post ", i, " #bench");
    auto made = fx->platform->content().CreatePost(ctx, post);
    if (!made.ok()) Die("create post", std::string(made.status().message()));
    fx->post_ids.push_back(made->id.value);
    fx->post_requests.push_back(absl::StrCat("{\"id\":\"", made->id.value, "\"}"));
  }
  const std::string opts = R"({"password_cost":"test","migrate":false})";
  daira_error_t* err = nullptr;
  if (daira_platform_open(url.data(), url.size(), opts.data(), opts.size(), &fx->handle, &err) != DAIRA_OK) {
    Die("daira_platform_open", std::string(daira_error_message(err)));
  }
  return fx;
}

Fixture& SqliteFixture() {
  static Fixture* f = [] {
    auto* fx = new Fixture();
    fx->dir = std::filesystem::temp_directory_path() / absl::StrCat("daira-c-abi-bench-", ::getpid());
    std::filesystem::create_directories(fx->dir);
    return Populate(fx, "sqlite:" + (fx->dir / "bench.db").string());
  }();
  return *f;
}

std::string PgUrl() {
  const char* url = std::getenv("DAIRA_TEST_PG");
  return url == nullptr ? "" : url;
}

Fixture& PostgresFixture() {
  static Fixture* f = [] {
    const std::string base = PgUrl().substr(0, PgUrl().find('?'));
    {
      auto admin = daira::store::Database::Open(base + "?pool_min=1&pool_max=1");
      if (!admin.ok()) Die("open postgres", std::string(admin.status().message()));
      daira::RequestContext ctx;
      auto dropped = (*admin)->Execute(ctx, absl::StrCat("DROP SCHEMA IF EXISTS ", kPgSchema, " CASCADE"));
      auto created = dropped.ok() ? (*admin)->Execute(ctx, absl::StrCat("CREATE SCHEMA ", kPgSchema)) : dropped;
      if (!created.ok()) Die("schema", std::string(created.status().message()));
    }
    return Populate(new Fixture(), base + "?options=-csearch_path%3D" + kPgSchema);
  }();
  return *f;
}

class IdStream {
 public:
  size_t Next() {
    x_ ^= x_ << 13;
    x_ ^= x_ >> 7;
    x_ ^= x_ << 17;
    return static_cast<size_t>(x_ % kUsers);
  }

 private:
  uint64_t x_ = 0x9E3779B97F4A7C15ull;
};

double NowNs() {
  return static_cast<double>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E3SZ", absl::FromChrono(t), absl::UTCTimeZone());
}

// This thread's CPU time: on a loaded machine wall time mostly measures the scheduler.
double CpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

struct Start {
  double wall = NowNs();
  double cpu = CpuNs();
};

// Runs `direct(id index)` as many times as the case ran and reports its ns/op next to the case's, as
// ratios.
template <typename Direct>
void Report(benchmark::State& state, const Start& start, Direct direct) {
  const double n = static_cast<double>(state.iterations());
  const double wall = (NowNs() - start.wall) / n;
  const double cpu = (CpuNs() - start.cpu) / n;
  IdStream ids;
  const Start direct_start;
  for (int64_t i = 0; i < state.iterations(); ++i) direct(ids.Next());
  const double direct_wall = (NowNs() - direct_start.wall) / n;
  const double direct_cpu = (CpuNs() - direct_start.cpu) / n;
  state.counters["direct_ns"] = direct_wall;
  state.counters["ratio_vs_direct"] = wall / direct_wall;
  state.counters["cpu_ratio_vs_direct"] = cpu / direct_cpu;
}

// The direct user lookup.
void Report(benchmark::State& state, Fixture& f, const Start& start) {
  daira::RequestContext ctx;
  Report(state, start, [&](size_t i) {
    auto user = f.platform->users().Get(ctx, daira::UserId(f.ids[i]));
    benchmark::DoNotOptimize(user);
  });
}

const daira::services::PostFieldMask kPostMask{daira::model::PostField::kContent, daira::model::PostField::kLikesCount};

void BM_PostGetMaskedDirect(benchmark::State& state, Fixture& (*fixture)()) {
  Fixture& f = fixture();
  IdStream ids;
  daira::RequestContext ctx;
  for (auto _ : state) {
    auto post = f.platform->posts().Get(ctx, daira::PostId(f.post_ids[ids.Next()]), kPostMask);
    if (!post.ok()) state.SkipWithError("posts().Get failed");
    benchmark::DoNotOptimize(post);
  }
}

void BM_PostGetMaskedCAbi(benchmark::State& state, Fixture& (*fixture)()) {
  Fixture& f = fixture();
  IdStream ids;
  daira_error_t* err = nullptr;
  const Start start;
  for (auto _ : state) {
    const std::string& request = f.post_requests[ids.Next()];
    char* out = nullptr;
    if (daira_posts_get(f.handle, request.data(), request.size(), "content,likes_count", &out, &err) != DAIRA_OK) {
      state.SkipWithError(daira_error_message(err));
    }
    benchmark::DoNotOptimize(out);
    daira_free(out);
  }
  daira_error_free(&err);
  daira::RequestContext ctx;
  Report(state, start, [&](size_t i) {
    auto post = f.platform->posts().Get(ctx, daira::PostId(f.post_ids[i]), kPostMask);
    benchmark::DoNotOptimize(post);
  });
}

void BM_UserGetDirect(benchmark::State& state, Fixture& (*fixture)()) {
  Fixture& f = fixture();
  IdStream ids;
  daira::RequestContext ctx;
  for (auto _ : state) {
    auto user = f.platform->users().Get(ctx, daira::UserId(f.ids[ids.Next()]));
    if (!user.ok()) state.SkipWithError("users().Get failed");
    benchmark::DoNotOptimize(user);
  }
}

void BM_UserGetDirectJson(benchmark::State& state, Fixture& (*fixture)()) {
  Fixture& f = fixture();
  IdStream ids;
  daira::RequestContext ctx;
  const Start start;
  for (auto _ : state) {
    auto user = f.platform->users().Get(ctx, daira::UserId(f.ids[ids.Next()]));
    if (!user.ok()) state.SkipWithError("users().Get failed");
    // The fields the C ABI writes (its writer is private to the .so). The times still go through
    // absl::FormatTime here, which the C ABI replaced with a hand-written formatter (json_out.cc), so
    // this case now overstates the C ABI's JSON cost by about two absl::FormatTime calls.
    daira::JsonWriter w;
    w.BeginObject().Key("id").String(absl::StrCat(user->id.value)).Key("username").String(*user->username);
    w.Key("email").String(user->email.value_or("")).Key("phone").Null().Key("avatar_url").Null();
    w.Key("is_verified").Bool(user->is_verified.value_or(false)).Key("is_private").Bool(user->is_private.value_or(false));
    w.Key("status").String("ACTIVE").Key("role").String("USER").Key("last_login_at").Null();
    w.Key("created_at").String(Rfc3339(user->created_at.value_or(std::chrono::system_clock::time_point{})));
    w.Key("updated_at").String(Rfc3339(user->updated_at.value_or(std::chrono::system_clock::time_point{})));
    w.Key("deleted_at").Null().EndObject();
    std::string json = w.Take();
    benchmark::DoNotOptimize(json);
  }
  Report(state, f, start);
}

void BM_UserGetCAbi(benchmark::State& state, Fixture& (*fixture)()) {
  Fixture& f = fixture();
  IdStream ids;
  daira_error_t* err = nullptr;
  const Start start;
  for (auto _ : state) {
    const std::string& request = f.requests[ids.Next()];
    char* out = nullptr;
    if (daira_users_get(f.handle, request.data(), request.size(), &out, &err) != DAIRA_OK) {
      state.SkipWithError(daira_error_message(err));
    }
    benchmark::DoNotOptimize(out);
    daira_free(out);
  }
  daira_error_free(&err);
  Report(state, f, start);
}

// ---- the typed by-id calls next to their JSON calls ----

// One single-id call: its JSON form (request {"<key>":"<id>"}), its typed forms, and the direct C++
// call it wraps. `posts` picks the fixture's post ids instead of its user ids.
struct IdCall {
  const char* name;
  daira_code (*json)(daira_platform_t*, const char*, size_t, char**, daira_error_t**);
  const char* key;
  daira_id_call_fn by_id;
  daira_id_into_fn by_id_into;
  bool posts;
  void (*direct)(Fixture& f, const daira::RequestContext& ctx, int64_t id);
};

const IdCall kIdCalls[] = {
    {"users_get", daira_users_get, "id", daira_users_get_by_id, daira_users_get_by_id_into, false,
     [](Fixture& f, const daira::RequestContext& ctx, int64_t id) {
       auto v = f.platform->users().Get(ctx, daira::UserId(id));
       benchmark::DoNotOptimize(v);
     }},
    {"profiles_get", daira_profiles_get, "user_id", daira_profiles_get_by_id, daira_profiles_get_by_id_into,
     false,
     [](Fixture& f, const daira::RequestContext& ctx, int64_t id) {
       auto v = f.platform->profiles().Get(ctx, daira::UserId(id));
       benchmark::DoNotOptimize(v);
     }},
    {"profiles_stats", daira_profiles_stats, "user_id", daira_profiles_stats_by_id,
     daira_profiles_stats_by_id_into, false,
     [](Fixture& f, const daira::RequestContext& ctx, int64_t id) {
       auto v = f.platform->profiles().Stats(ctx, daira::UserId(id));
       benchmark::DoNotOptimize(v);
     }},
    {"content_get_post", daira_content_get_post, "post_id", daira_content_get_post_by_id,
     daira_content_get_post_by_id_into, true,
     [](Fixture& f, const daira::RequestContext& ctx, int64_t id) {
       auto v = f.platform->content().GetPost(ctx, daira::PostId(id));
       benchmark::DoNotOptimize(v);
     }},
};

enum class IdForm { kJson, kById, kByIdInto };

// One form of an IdCall, then its direct call for as many iterations (the ratios, as in Report).
void BM_IdCall(benchmark::State& state, Fixture& (*fixture)(), const IdCall* call, IdForm form) {
  Fixture& f = fixture();
  const std::vector<int64_t>& ids = call->posts ? f.post_ids : f.ids;
  std::vector<std::string> requests;
  for (int64_t id : ids) requests.push_back(absl::StrCat("{\"", call->key, "\":\"", id, "\"}"));
  std::vector<char> buf(64 * 1024);
  IdStream stream;
  daira_error_t* err = nullptr;
  const Start start;
  for (auto _ : state) {
    const size_t i = stream.Next();
    daira_code code = DAIRA_OK;
    if (form == IdForm::kByIdInto) {
      size_t len = 0;
      code = call->by_id_into(f.handle, ids[i], buf.data(), buf.size(), &len, &err);
      benchmark::DoNotOptimize(len);
    } else {
      char* out = nullptr;
      code = form == IdForm::kJson ? call->json(f.handle, requests[i].data(), requests[i].size(), &out, &err)
                                   : call->by_id(f.handle, ids[i], &out, nullptr, &err);
      benchmark::DoNotOptimize(out);
      daira_free(out);
    }
    if (code != DAIRA_OK) state.SkipWithError(daira_error_message(err));
  }
  daira_error_free(&err);
  daira::RequestContext ctx;
  Report(state, start, [&](size_t i) { call->direct(f, ctx, ids[i]); });
}

void Register(const char* backend, Fixture& (*fixture)()) {
  for (const IdCall& call : kIdCalls) {
    benchmark::RegisterBenchmark(absl::StrCat(backend, "/", call.name, "/json").c_str(), BM_IdCall, fixture,
                                 &call, IdForm::kJson);
    benchmark::RegisterBenchmark(absl::StrCat(backend, "/", call.name, "/by_id").c_str(), BM_IdCall, fixture,
                                 &call, IdForm::kById);
    benchmark::RegisterBenchmark(absl::StrCat(backend, "/", call.name, "/by_id_into").c_str(), BM_IdCall,
                                 fixture, &call, IdForm::kByIdInto);
  }
  benchmark::RegisterBenchmark(absl::StrCat(backend, "/user_get/direct").c_str(), BM_UserGetDirect, fixture);
  benchmark::RegisterBenchmark(absl::StrCat(backend, "/user_get/direct_json").c_str(), BM_UserGetDirectJson, fixture);
  benchmark::RegisterBenchmark(absl::StrCat(backend, "/user_get/c_abi").c_str(), BM_UserGetCAbi, fixture);
  benchmark::RegisterBenchmark(absl::StrCat(backend, "/post_get_masked/direct").c_str(), BM_PostGetMaskedDirect, fixture);
  benchmark::RegisterBenchmark(absl::StrCat(backend, "/post_get_masked/c_abi").c_str(), BM_PostGetMaskedCAbi, fixture);
}

}  // namespace

int main(int argc, char** argv) {
  Register("sqlite", SqliteFixture);
  if (!PgUrl().empty()) {
    Register("postgres", PostgresFixture);
  } else {
    std::fprintf(stderr, "c_abi_bench: DAIRA_TEST_PG is not set: the postgres cases are NOT run\n");
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
