#include "daira/store/seed.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <optional>
#include <random>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "daira/core/id.h"
#include "daira/core/status.h"
#include "daira/store/transaction.h"

namespace daira::inline v0::store {
namespace {

constexpr int64_t kSecond = 1000000;  // microseconds
constexpr int64_t kMaxCount = int64_t{1} << 30;

// Entity kinds live in the id's node bits, so seeded ids never collide across tables.
enum Kind : int64_t { kUser = 1, kHashtag = 2, kFollow = 3, kPost = 4, kVideo = 5, kComment = 6, kLike = 7, kWallet = 8 };

int64_t IdAt(Kind kind, int64_t micros) {
  return ((micros / 1000 - kIdEpochUnixMillis) << (kIdNodeBits + kIdSequenceBits)) |
         (static_cast<int64_t>(kind) << kIdSequenceBits);
}

// Randomness with hand-written sampling: std::mt19937_64 is specified exactly, std:: distributions
// are not, so this keeps the data identical across standard libraries.
class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream) : g_(Mix(seed ^ (stream * 0x9E3779B97F4A7C15ull))) {}
  uint64_t Next() { return g_(); }
  // Uniform in [0, n); n > 0. The modulo bias is below 2^-30 for the sizes used here.
  int64_t Below(int64_t n) { return static_cast<int64_t>(g_() % static_cast<uint64_t>(n)); }
  double Unit() { return static_cast<double>(g_() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Unit() < p; }

 private:
  static uint64_t Mix(uint64_t x) {  // splitmix64 finalizer
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
  }
  std::mt19937_64 g_;
};

// Zipf over ranks [0, n): P(k) ∝ 1 / (k + 1)^s, by inverse CDF.
class Zipf {
 public:
  Zipf(int64_t n, double s) : cdf_(static_cast<size_t>(std::max<int64_t>(n, 1))) {
    double sum = 0;
    for (size_t k = 0; k < cdf_.size(); ++k) {
      sum += 1.0 / std::pow(static_cast<double>(k + 1), s);
      cdf_[k] = sum;
    }
  }
  int64_t Sample(Rng& rng) const {
    double u = rng.Unit() * cdf_.back();
    auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
    return std::min<int64_t>(it - cdf_.begin(), static_cast<int64_t>(cdf_.size()) - 1);
  }

 private:
  std::vector<double> cdf_;
};

// A bijection on [0, n) (rank → index) that scatters popular ranks over the index range without a
// permutation table: i = (rank * a + b) mod n with gcd(a, n) = 1.
class Scatter {
 public:
  Scatter(int64_t n, Rng& rng) : n_(std::max<int64_t>(n, 1)) {
    a_ = 1;
    for (int64_t candidate : {1000003, 999983, 104729, 7919, 1009, 101, 7, 3}) {
      if (std::gcd(candidate, n_) == 1 && candidate % n_ != 0) {
        a_ = candidate % n_;
        break;
      }
    }
    b_ = rng.Below(n_);
  }
  int64_t operator()(int64_t rank) const {
    return static_cast<int64_t>((static_cast<unsigned __int128>(rank) * a_ + b_) % n_);
  }

 private:
  int64_t n_, a_ = 1, b_ = 0;
};

std::vector<int32_t> Permutation(int64_t n, Rng& rng) {
  std::vector<int32_t> p(static_cast<size_t>(n));
  std::iota(p.begin(), p.end(), 0);
  for (int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[rng.Below(i + 1)]);
  return p;
}

constexpr const char* kFirst[] = {"amira", "omar", "layla", "youssef", "nour", "karim", "salma", "hassan", "mona",
                                  "tarek", "dina", "ali", "farida", "mostafa", "hana", "ziad", "yara", "adam",
                                  "maya", "sami", "lina", "khaled", "rana", "fares", "emma", "liam", "olivia",
                                  "noah", "ava", "lucas", "mia", "leo", "sara", "john", "grace", "ivan", "aisha",
                                  "mateo", "chloe", "ravi"};
constexpr const char* kLast[] = {"hassan", "mahmoud", "ibrahim", "saleh", "fathy", "nasser", "ezzat", "shams",
                                 "kamal", "farouk", "gamal", "helmy", "mansour", "radwan", "sabry", "zaki",
                                 "smith", "jones", "garcia", "miller", "davis", "lopez", "wilson", "moore", "clark",
                                 "lewis", "walker", "young", "king", "wright", "hill", "green", "adams", "baker",
                                 "nelson", "carter", "rivera", "patel", "kim", "chen"};
constexpr const char* kCities[] = {"Cairo", "Alexandria", "Giza", "Luxor", "Aswan", "Dubai", "Riyadh", "Amman",
                                   "Beirut", "London", "Berlin", "Paris", "Madrid", "Lagos", "Nairobi", "Toronto",
                                   "New York", "Austin", "Tokyo", "Seoul"};
constexpr const char* kWords[] = {
    "the", "a", "today", "really", "love", "this", "new", "video", "coffee", "morning", "weekend", "trip", "music",
    "game", "match", "goal", "team", "city", "night", "light", "food", "dinner", "friends", "family", "work",
    "project", "code", "release", "launch", "photo", "sunset", "beach", "river", "street", "market", "book", "story",
    "idea", "dream", "plan", "happy", "tired", "amazing", "great", "best", "first", "last", "time", "year", "day",
    "with", "and", "for", "from", "about", "after", "before", "again", "never", "always", "finally", "just", "so",
    "very", "what", "when", "where", "why", "how", "we", "you", "they", "our", "my", "your", "is", "are", "was",
    "be", "go", "see", "make", "take", "watch", "listen", "read", "cook", "run", "ride", "build", "ship", "fix",
    "learn", "teach", "share", "post", "stream", "live"};
constexpr const char* kTagA[] = {"cairo", "daily", "tech", "food", "travel", "music", "fit", "art", "film", "code",
                                 "game", "book", "photo", "street", "night", "summer", "winter", "green", "urban",
                                 "retro", "indie", "live", "weekend", "morning", "coffee", "football", "design",
                                 "startup", "science", "nature"};
constexpr const char* kTagB[] = {"life", "vibes", "lovers", "goals", "day", "news", "talk", "tips", "style", "mood",
                                 "club", "world", "story", "hacks", "time", "gram", "pics", "fans", "trip", "eats",
                                 "beats", "shots", "crew", "zone", "lab", "hub", "cast", "wave", "scene", "spot",
                                 "nation", "craft", "squad", "journal", "diary", "moments", "finds", "moves",
                                 "ideas", "notes"};
constexpr const char* kReactions[] = {"LIKE", "LOVE", "LAUGH", "SAD", "ANGRY"};
constexpr const char* kResolutions[] = {"480p", "720p", "1080p", "2160p"};

template <typename T, size_t N>
const char* Pick(const T (&arr)[N], Rng& rng) {
  return arr[rng.Below(static_cast<int64_t>(N))];
}

std::string HashtagName(int64_t i) {
  constexpr int64_t a = std::size(kTagA), b = std::size(kTagB);
  std::string tag = absl::StrCat(kTagA[i % a], kTagB[(i / a) % b]);
  if (i >= a * b) absl::StrAppend(&tag, i / (a * b));
  return tag;
}

void AppendWords(std::string& out, Rng& rng, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (!out.empty()) out.push_back(' ');
    out += Pick(kWords, rng);
  }
}

// Counts inserted rows for SeedOptions::on_progress.
class Progress {
 public:
  Progress(const SeedOptions& o, std::chrono::steady_clock::time_point started) : o_(o), started_(started) {}
  void set_total(int64_t total) { total_ = total; }
  void Add(std::string_view table, int64_t rows) {
    written_ += rows;
    if (o_.on_progress) {
      o_.on_progress({.table = table,
                      .rows_written = written_,
                      .rows_total = total_,
                      .elapsed = std::chrono::steady_clock::now() - started_});
    }
  }

 private:
  const SeedOptions& o_;
  const std::chrono::steady_clock::time_point started_;
  int64_t written_ = 0;
  int64_t total_ = 0;
};

// Rows are inserted through multi-row INSERT statements of `batch_rows` rows, prepared once and reused;
// only the last statement of a table may be shorter.
class BatchInserter {
 public:
  // With `auto_flush` false, rows wait until FlushFull/Flush is called (for rows whose parents are
  // still pending in another inserter).
  BatchInserter(Connection& conn, Progress& progress, std::string table, std::vector<std::string> columns,
                int64_t batch_rows, bool auto_flush = true)
      : conn_(conn), progress_(progress), table_(std::move(table)), columns_(std::move(columns)), batch_rows_(batch_rows),
        auto_flush_(auto_flush) {
    params_.reserve(static_cast<size_t>(batch_rows_) * columns_.size());
  }
  // Append one row's values (exactly as many as columns) here, then call RowDone().
  std::vector<Value>& params() { return params_; }
  absl::Status RowDone() {
    ++pending_;
    return auto_flush_ ? FlushFull() : absl::OkStatus();
  }
  // Inserts every complete batch of pending rows.
  absl::Status FlushFull() {
    while (pending_ >= batch_rows_) DAIRA_RETURN_IF_ERROR(Insert(batch_rows_));
    return absl::OkStatus();
  }
  // Inserts every pending row.
  absl::Status Flush() {
    DAIRA_RETURN_IF_ERROR(FlushFull());
    return pending_ > 0 ? Insert(pending_) : absl::OkStatus();
  }
  int64_t pending() const { return pending_; }
  int64_t rows() const { return rows_; }

 private:
  absl::Status Insert(int64_t n) {
    Statement* st = n == batch_rows_ ? full_ : nullptr;
    if (st == nullptr) {
      auto prepared = conn_.Prepare(Sql(n));
      if (!prepared.ok()) return Annotate(prepared.status(), absl::StrCat("seed: ", table_));
      st = *prepared;
      if (n == batch_rows_) full_ = st;
    }
    const size_t count = static_cast<size_t>(n) * columns_.size();
    auto rs = st->Execute(Params(params_.data(), count));
    if (!rs.ok()) return Annotate(rs.status(), absl::StrCat("seed: ", table_));
    params_.erase(params_.begin(), params_.begin() + static_cast<std::ptrdiff_t>(count));
    rows_ += n;
    pending_ -= n;
    progress_.Add(table_, n);
    return absl::OkStatus();
  }
  std::string Sql(int64_t rows) const {
    std::string one = "(";
    for (size_t i = 0; i < columns_.size(); ++i) absl::StrAppend(&one, i == 0 ? "?" : ", ?");
    one += ")";
    std::string sql = absl::StrCat("INSERT INTO ", table_, " (");
    for (size_t i = 0; i < columns_.size(); ++i) absl::StrAppend(&sql, i == 0 ? "" : ", ", columns_[i]);
    sql += ") VALUES ";
    for (int64_t r = 0; r < rows; ++r) absl::StrAppend(&sql, r == 0 ? "" : ", ", one);
    return sql;
  }

  Connection& conn_;
  Progress& progress_;
  std::string table_;
  std::vector<std::string> columns_;
  int64_t batch_rows_;
  bool auto_flush_;
  std::vector<Value> params_;
  int64_t pending_ = 0;
  int64_t rows_ = 0;
  Statement* full_ = nullptr;  // owned by the connection's statement cache
};

// The seed's transactions. With rows_per_transaction == 0 (the default) the whole seed is one
// transaction: all or nothing, so a failure leaves the database as empty as it found it. A positive
// value commits every that many rows (bounded WAL for very large loads) and gives up atomicity.
class Batcher {
 public:
  Batcher(Connection& conn, int64_t rows_per_transaction) : conn_(conn), limit_(rows_per_transaction) {}
  // Opens a transaction unless one is open (the single-transaction mode keeps one across tables).
  absl::Status Begin() {
    if (tx_.has_value()) return absl::OkStatus();
    DAIRA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(conn_));
    tx_.emplace(std::move(tx));
    rows_ = 0;
    return absl::OkStatus();
  }
  // Call after each row; flushes `inserters` and commits when the transaction is full.
  absl::Status Tick(std::initializer_list<BatchInserter*> inserters) {
    if (limit_ <= 0 || ++rows_ < limit_) return absl::OkStatus();
    return Cycle(inserters, /*reopen=*/true);
  }
  // End of one table: flushes `inserters`; commits only in the batched mode.
  absl::Status Finish(std::initializer_list<BatchInserter*> inserters) {
    if (limit_ <= 0) {
      for (BatchInserter* in : inserters) DAIRA_RETURN_IF_ERROR(in->Flush());
      return absl::OkStatus();
    }
    return Cycle(inserters, false);
  }
  // End of the seed: commits what is open.
  absl::Status Commit() {
    if (!tx_.has_value()) return absl::OkStatus();
    DAIRA_RETURN_IF_ERROR(Annotate(tx_->Commit(), "seed: commit"));
    tx_.reset();
    return absl::OkStatus();
  }

 private:
  absl::Status Cycle(std::initializer_list<BatchInserter*> inserters, bool reopen) {
    for (BatchInserter* in : inserters) DAIRA_RETURN_IF_ERROR(in->Flush());
    DAIRA_RETURN_IF_ERROR(Commit());
    return reopen ? Begin() : absl::OkStatus();
  }

  Connection& conn_;
  int64_t limit_;
  int64_t rows_ = 0;
  std::optional<Transaction> tx_;
};

// Every table the seed writes, in the order it writes them: each must be empty before it starts.
constexpr std::string_view kSeedTables[] = {"users",    "user_profiles", "wallets", "hashtags", "follows",
                                            "posts",    "post_hashtags", "videos",  "comments", "likes"};

// Independent random streams, one per concern, so changing one count does not reshuffle the rest.
enum Stream : uint64_t {
  kStreamUsers = 1, kStreamPopularity, kStreamFollows, kStreamPostAuthors, kStreamPostTags, kStreamPostText,
  kStreamVideos, kStreamComments, kStreamCommentText, kStreamLikes, kStreamScatter
};

struct PostTags {
  std::vector<int32_t> tags;      // hashtag indexes, distinct
  std::vector<int32_t> mentions;  // user indexes, distinct
};

// The hashtags and mentions of the next post; replayed identically in the counting and inserting passes.
PostTags NextPostTags(Rng& rng, const Zipf& tag_zipf, int64_t hashtags, const Zipf& user_zipf,
                      const std::vector<int32_t>& popular, int64_t author) {
  PostTags t;
  int64_t ntags = hashtags > 0 ? rng.Below(4) : 0;  // 0..3
  for (int64_t i = 0; i < ntags; ++i) {
    int32_t tag = static_cast<int32_t>(tag_zipf.Sample(rng));
    if (std::find(t.tags.begin(), t.tags.end(), tag) == t.tags.end()) t.tags.push_back(tag);
  }
  int64_t nmentions = rng.Chance(0.25) ? 1 + rng.Below(2) : 0;
  for (int64_t i = 0; i < nmentions; ++i) {
    int32_t u = popular[user_zipf.Sample(rng)];
    if (u != author && std::find(t.mentions.begin(), t.mentions.end(), u) == t.mentions.end()) {
      t.mentions.push_back(u);
    }
  }
  return t;
}

absl::Status ValidateOptions(const SeedOptions& o) {
  for (auto [name, v] : {std::pair<const char*, int64_t>{"users", o.users}, {"avg_following", o.avg_following},
                         {"posts", o.posts}, {"videos", o.videos}, {"comments", o.comments}, {"likes", o.likes},
                         {"hashtags", o.hashtags}}) {
    if (v < 0 || v > kMaxCount) {
      return InvalidField("seed", name, absl::StrCat("must be in [0, 2^30] (got ", v, ")"));
    }
  }
  if (!(o.zipf_s > 0)) return InvalidField("seed", "zipf_s", absl::StrCat("must be > 0 (got ", o.zipf_s, ")"));
  if (o.batch_rows < 1 || o.batch_rows > 1000) {
    return InvalidField("seed", "batch_rows", absl::StrCat("must be in [1, 1000] (got ", o.batch_rows, ")"));
  }
  if (o.sqlite_cache_mb < 0) {
    return InvalidField("seed", "sqlite_cache_mb", absl::StrCat("must be >= 0 (got ", o.sqlite_cache_mb, ")"));
  }
  if (o.rows_per_transaction < 0) {
    return InvalidField("seed", "rows_per_transaction",
                        absl::StrCat("must be >= 0 (0: one transaction) (got ", o.rows_per_transaction, ")"));
  }
  if (o.base_time < kIdEpochUnixMillis * 1000) {
    return InvalidField("seed", "base_time", absl::StrCat("must be after 2024-01-01 (got ", o.base_time, ")"));
  }
  if (o.users == 0 && (o.posts > 0 || o.videos > 0 || o.comments > 0 || o.likes > 0)) {
    return InvalidField("seed", "users", "must be > 0 when content is asked for (got 0)");
  }
  if (o.posts == 0 && o.videos == 0 && o.comments > 0) {
    return InvalidField("seed", "comments", absl::StrCat("need posts or videos to comment on (got ", o.comments, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SeedOptions::Validate() const { return ValidateOptions(*this); }

absl::StatusOr<SeedReport> Seed(Database& db, const RequestContext& ctx, const SeedOptions& o) {
  auto started = std::chrono::steady_clock::now();
  DAIRA_RETURN_IF_ERROR(ValidateOptions(o));
  const int64_t U = o.users, P = o.posts, V = o.videos, H = o.hashtags;

  DAIRA_ASSIGN_OR_RETURN(ConnectionLease lease, db.Acquire(ctx, Access::kWrite));
  Connection& conn = *lease;
  // Every table it writes must be empty (not only users: a seed of 0 users still writes hashtags).
  for (std::string_view table : kSeedTables) {
    auto rs = conn.Execute(absl::StrCat("SELECT count(*) FROM ", ToAbsl(table)));
    if (!rs.ok()) return Annotate(rs.status(), absl::StrCat("seed: ", ToAbsl(table), " (is the database migrated?)"));
    int64_t n = rs->empty() ? 0 : rs->front().Int64(0);
    if (n != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "seed: table ", ToAbsl(table), " is not empty (got ", n,
          " rows); seed fills an empty database: use a new file or schema, or empty ", ToAbsl(table), " first"));
    }
  }

  // SQLite: a bulk load into indexed tables thrashes the default 2 MB page cache (every random index
  // insert re-reads and re-writes pages). Give this connection a large cache for the load, then put
  // the old size back.
  std::optional<int64_t> old_cache_size;
  if (conn.backend() == Backend::kSqlite && o.sqlite_cache_mb > 0) {
    auto rs = conn.Execute("PRAGMA cache_size");
    if (rs.ok() && !rs->empty()) old_cache_size = rs->front().Int64(0);
    DAIRA_RETURN_IF_ERROR(
        Annotate(conn.Execute(absl::StrCat("PRAGMA cache_size = -", o.sqlite_cache_mb * 1024)).status(), "seed"));
  }
  // SQLite: the rows reference each other correctly by construction (tests run PRAGMA
  // foreign_key_check over seeded data), so per-row foreign-key lookups are skipped during the load.
  // The pragma is a no-op inside a transaction, hence here, before the first BEGIN.
  bool fk_was_on = false;
  if (conn.backend() == Backend::kSqlite && o.sqlite_skip_fk_checks) {
    auto rs = conn.Execute("PRAGMA foreign_keys");
    fk_was_on = rs.ok() && !rs->empty() && rs->front().Int64(0) != 0;
    if (fk_was_on) DAIRA_RETURN_IF_ERROR(Annotate(conn.Execute("PRAGMA foreign_keys = OFF").status(), "seed"));
  }
  struct RestoreSettings {
    Connection& conn;
    std::optional<int64_t>& cache_size;
    bool& fk_was_on;
    ~RestoreSettings() {
      if (conn.InTransaction()) (void)conn.Rollback();
      if (cache_size) (void)conn.Execute(absl::StrCat("PRAGMA cache_size = ", *cache_size));
      if (fk_was_on) (void)conn.Execute("PRAGMA foreign_keys = ON");
    }
  } restore_settings{conn, old_cache_size, fk_was_on};

  // ---- Structure first (in memory): who follows whom, who wrote what, what got comments and likes,
  // so every counter is known before its row is written.
  Rng pop_rng(o.seed, kStreamPopularity);
  std::vector<int32_t> popular = Permutation(U, pop_rng);  // popularity rank → user index
  Zipf user_zipf(U, o.zipf_s);
  Zipf tag_zipf(H, o.zipf_s);

  std::vector<int32_t> followers(U, 0), following(U, 0), posts_count(U, 0), videos_count(U, 0);
  std::vector<int64_t> likes_received(U, 0);

  // Follows: each user follows 0..2×avg others drawn by popularity; no self-follows, no duplicates.
  std::vector<std::pair<int32_t, int32_t>> follows;
  if (U >= 2 && o.avg_following > 0) {
    Rng rng(o.seed, kStreamFollows);
    follows.reserve(static_cast<size_t>(U * o.avg_following));
    std::vector<int32_t> chosen;
    for (int64_t u = 0; u < U; ++u) {
      int64_t want = std::min<int64_t>(rng.Below(2 * o.avg_following + 1), U - 1);
      chosen.clear();
      for (int64_t attempt = 0; static_cast<int64_t>(chosen.size()) < want && attempt < want * 8 + 16; ++attempt) {
        int32_t v = popular[user_zipf.Sample(rng)];
        if (v == u || std::find(chosen.begin(), chosen.end(), v) != chosen.end()) continue;
        chosen.push_back(v);
      }
      for (int32_t v : chosen) {
        follows.emplace_back(static_cast<int32_t>(u), v);
        ++following[u];
        ++followers[v];
      }
    }
  }
  const int64_t F = static_cast<int64_t>(follows.size());

  // Posts: authors by popularity; tags replayed later from the same stream.
  std::vector<int32_t> post_author(P);
  {
    Rng rng(o.seed, kStreamPostAuthors);
    for (int64_t p = 0; p < P; ++p) {
      post_author[p] = popular[user_zipf.Sample(rng)];
      ++posts_count[post_author[p]];
    }
  }
  // Timelines: users one per minute, then everything else one per second, kind after kind.
  const int64_t t_users = o.base_time;
  const int64_t t_tags = t_users + U * 60 * kSecond;
  const int64_t t_follows = t_tags + H * kSecond;
  const int64_t t_posts = t_follows + F * kSecond;
  const int64_t t_videos = t_posts + P * kSecond;
  const int64_t t_comments = t_videos + V * kSecond;

  std::vector<int64_t> tag_posts(H, 0), tag_last_used(H, 0);
  {
    Rng rng(o.seed, kStreamPostTags);
    for (int64_t p = 0; p < P; ++p) {
      PostTags t = NextPostTags(rng, tag_zipf, H, user_zipf, popular, post_author[p]);
      for (int32_t tag : t.tags) {
        ++tag_posts[tag];
        tag_last_used[tag] = t_posts + p * kSecond;
      }
    }
  }

  // Videos: author and status.
  struct VideoDraft {
    int32_t author;
    uint8_t status;  // 0 PUBLISHED, 1 PROCESSING, 2 UPLOADING, 3 FAILED
  };
  std::vector<VideoDraft> videos(V);
  {
    Rng rng(o.seed, kStreamVideos);
    for (int64_t v = 0; v < V; ++v) {
      videos[v].author = popular[user_zipf.Sample(rng)];
      double r = rng.Unit();
      videos[v].status = r < 0.85 ? 0 : r < 0.90 ? 1 : r < 0.95 ? 2 : 3;
      ++videos_count[videos[v].author];
    }
  }

  Rng scatter_rng(o.seed, kStreamScatter);
  Scatter post_scatter(P, scatter_rng), video_scatter(V, scatter_rng);
  Zipf post_zipf(P, o.zipf_s), video_zipf(V, o.zipf_s);

  // Comments: top-level on a popular post (80%) or video, or (30%) a reply to a recent comment, which
  // may itself be a reply.
  const int64_t C = o.comments;
  std::vector<uint8_t> c_is_video(C);
  std::vector<int32_t> c_target(C), c_parent(C, -1), c_author(C);
  std::vector<int32_t> post_comments(P, 0), video_comments(V, 0), c_replies(C, 0);
  {
    Rng rng(o.seed, kStreamComments);
    for (int64_t c = 0; c < C; ++c) {
      c_author[c] = static_cast<int32_t>(rng.Below(U));
      if (c > 0 && rng.Chance(0.3)) {
        int32_t parent = static_cast<int32_t>(c - 1 - rng.Below(std::min<int64_t>(c, 1000)));
        c_parent[c] = parent;
        c_is_video[c] = c_is_video[parent];
        c_target[c] = c_target[parent];
        ++c_replies[parent];
      } else {
        bool on_video = P == 0 || (V > 0 && rng.Chance(0.2));
        c_is_video[c] = on_video ? 1 : 0;
        c_target[c] = static_cast<int32_t>(on_video ? video_scatter(video_zipf.Sample(rng))
                                                    : post_scatter(post_zipf.Sample(rng)));
      }
      ++(c_is_video[c] ? video_comments[c_target[c]] : post_comments[c_target[c]]);
    }
  }

  // Likes: a uniform user likes a popular post (70%), video (15%) or comment (15%); unique per target.
  struct LikeDraft {
    int32_t user;
    uint8_t kind;  // 0 post, 1 video, 2 comment
    uint8_t reaction;
    int32_t target;
  };
  std::vector<LikeDraft> likes;
  std::vector<int32_t> post_likes(P, 0), video_likes(V, 0), comment_likes(C, 0);
  if (U > 0 && (P > 0 || V > 0 || C > 0)) {
    Rng rng(o.seed, kStreamLikes);
    Scatter comment_scatter(C, rng);
    Zipf comment_zipf(C, o.zipf_s);
    std::unordered_set<uint64_t> seen;
    seen.reserve(static_cast<size_t>(o.likes) * 2);
    likes.reserve(static_cast<size_t>(o.likes));
    for (int64_t attempt = 0; static_cast<int64_t>(likes.size()) < o.likes && attempt < o.likes * 4; ++attempt) {
      LikeDraft l{};
      l.user = static_cast<int32_t>(rng.Below(U));
      double r = rng.Unit();
      l.kind = (r < 0.70 && P > 0) ? 0 : (r < 0.85 && V > 0) ? 1 : (C > 0 ? 2 : (P > 0 ? 0 : 1));
      l.target = static_cast<int32_t>(l.kind == 0   ? post_scatter(post_zipf.Sample(rng))
                                      : l.kind == 1 ? video_scatter(video_zipf.Sample(rng))
                                                    : comment_scatter(comment_zipf.Sample(rng)));
      l.reaction = static_cast<uint8_t>(rng.Chance(0.8) ? 0 : 1 + rng.Below(4));
      uint64_t key = (uint64_t{l.kind} << 62) | (static_cast<uint64_t>(l.target) << 31) | static_cast<uint64_t>(l.user);
      if (!seen.insert(key).second) continue;
      likes.push_back(l);
      int32_t owner;
      if (l.kind == 0) {
        ++post_likes[l.target];
        owner = post_author[l.target];
      } else if (l.kind == 1) {
        ++video_likes[l.target];
        owner = videos[l.target].author;
      } else {
        ++comment_likes[l.target];
        owner = c_author[l.target];
      }
      ++likes_received[owner];
    }
  }
  const int64_t L = static_cast<int64_t>(likes.size());
  const int64_t t_likes = t_comments + C * kSecond;

  // ---- Rows.
  SeedReport report;
  Progress progress(o, started);
  {
    int64_t links = 0;
    for (int64_t n : tag_posts) links += n;
    progress.set_total(3 * U + H + F + P + links + V + C + L);  // users, profiles and wallets: 3 per user
  }
  Batcher tx(conn, o.rows_per_transaction);
  const int64_t B = o.batch_rows;
  auto user_id = [&](int64_t u) { return IdAt(kUser, t_users + u * 60 * kSecond); };
  auto post_id = [&](int64_t p) { return IdAt(kPost, t_posts + p * kSecond); };
  auto video_id = [&](int64_t v) { return IdAt(kVideo, t_videos + v * kSecond); };
  auto comment_id = [&](int64_t c) { return IdAt(kComment, t_comments + c * kSecond); };
  auto tag_id = [&](int64_t h) { return IdAt(kHashtag, t_tags + h * kSecond); };

  // Users, profiles, wallets.
  std::vector<std::string> usernames(U);
  {
    Rng rng(o.seed, kStreamUsers);
    std::vector<int32_t> rank_of(U);
    for (int64_t r = 0; r < U; ++r) rank_of[popular[r]] = static_cast<int32_t>(r);
    BatchInserter users(conn, progress, "users",
                        {"id", "username", "email", "phone", "password_hash", "avatar_url", "is_verified",
                         "is_private", "status", "role", "last_login_at", "created_at", "updated_at"},
                        B);
    BatchInserter profiles(conn, progress, "user_profiles",
                           {"user_id", "display_name", "bio", "location", "website", "followers_count",
                            "following_count", "posts_count", "videos_count", "likes_received_count", "trust_score",
                            "badges", "created_at", "updated_at"},
                           B);
    BatchInserter wallets(conn, progress, "wallets", {"id", "user_id", "balance", "currency", "created_at", "updated_at"}, B);
    DAIRA_RETURN_IF_ERROR(tx.Begin());
    const int64_t top = std::max<int64_t>(1, U / 100);
    for (int64_t u = 0; u < U; ++u) {
      const char* first = Pick(kFirst, rng);
      const char* last = Pick(kLast, rng);
      usernames[u] = absl::StrCat(first, last, u);
      const int64_t id = user_id(u);
      const int64_t created = t_users + u * 60 * kSecond;
      const bool star = rank_of[u] < top;
      const bool verified = star || rng.Chance(0.02);
      auto& up = users.params();
      up.emplace_back(id);
      up.emplace_back(usernames[u]);
      up.emplace_back(absl::StrCat(usernames[u], "@example.com"));
      up.emplace_back(absl::StrCat("+2010", 10000000 + u));
      up.emplace_back("!seeded");  // not a valid hash: seeded accounts cannot log in
      if (rng.Chance(0.6)) {
        up.emplace_back(absl::StrCat("https://cdn.example.com/avatars/", id, ".jpg"));
      } else {
        up.emplace_back(nullptr);
      }
      up.emplace_back(verified ? 1 : 0);
      up.emplace_back(rng.Chance(0.05) ? 1 : 0);
      up.emplace_back("ACTIVE");
      up.emplace_back(u == 0 ? "ADMIN" : star ? "CREATOR" : "USER");
      up.emplace_back(created + rng.Below(30 * 24 * 3600) * kSecond);
      up.emplace_back(created);
      up.emplace_back(created);
      DAIRA_RETURN_IF_ERROR(users.RowDone());

      auto& pp = profiles.params();
      std::string display = absl::StrCat(first, " ", last);
      display[0] = static_cast<char>(display[0] - 'a' + 'A');
      size_t space = display.find(' ');
      display[space + 1] = static_cast<char>(display[space + 1] - 'a' + 'A');
      pp.emplace_back(id);
      pp.emplace_back(std::move(display));
      if (rng.Chance(0.5)) {
        std::string bio;
        AppendWords(bio, rng, 5 + rng.Below(8));
        pp.emplace_back(std::move(bio));
      } else {
        pp.emplace_back(nullptr);
      }
      pp.emplace_back(Pick(kCities, rng));
      pp.emplace_back(star ? Value(absl::StrCat("https://", usernames[u], ".example.com")) : Value(nullptr));
      pp.emplace_back(int64_t{followers[u]});
      pp.emplace_back(int64_t{following[u]});
      pp.emplace_back(int64_t{posts_count[u]});
      pp.emplace_back(int64_t{videos_count[u]});
      pp.emplace_back(likes_received[u]);
      pp.emplace_back(static_cast<double>(50 + rng.Below(51)) / 100.0);
      std::vector<std::string> badges;
      if (verified) badges.push_back("verified");
      if (star) badges.push_back("creator");
      if (u < U / 50) badges.push_back("early_adopter");
      pp.emplace_back(std::move(badges));
      pp.emplace_back(created);
      pp.emplace_back(created);
      DAIRA_RETURN_IF_ERROR(profiles.RowDone());

      auto& wp = wallets.params();
      wp.emplace_back(IdAt(kWallet, created));
      wp.emplace_back(id);
      wp.emplace_back(int64_t{0});
      wp.emplace_back("USD");
      wp.emplace_back(created);
      wp.emplace_back(created);
      DAIRA_RETURN_IF_ERROR(wallets.RowDone());
      // Profiles and wallets reference users: all three fill in step and flush in this order.
      DAIRA_RETURN_IF_ERROR(tx.Tick({&users, &profiles, &wallets}));
    }
    DAIRA_RETURN_IF_ERROR(tx.Finish({&users, &profiles, &wallets}));
    report.users = users.rows();
  }

  // Hashtags (every word of the vocabulary, with final counts).
  {
    BatchInserter tags(conn, progress, "hashtags",
                       {"id", "tag", "posts_count", "videos_count", "last_used_at", "created_at", "updated_at"}, B);
    DAIRA_RETURN_IF_ERROR(tx.Begin());
    for (int64_t h = 0; h < H; ++h) {
      const int64_t created = t_tags + h * kSecond;
      auto& p = tags.params();
      p.emplace_back(tag_id(h));
      p.emplace_back(HashtagName(h));
      p.emplace_back(tag_posts[h]);
      p.emplace_back(int64_t{0});
      p.emplace_back(tag_posts[h] > 0 ? Value(tag_last_used[h]) : Value(nullptr));
      p.emplace_back(created);
      p.emplace_back(std::max(created, tag_last_used[h]));
      DAIRA_RETURN_IF_ERROR(tags.RowDone());
      DAIRA_RETURN_IF_ERROR(tx.Tick({&tags}));
    }
    DAIRA_RETURN_IF_ERROR(tx.Finish({&tags}));
    report.hashtags = tags.rows();
  }

  // Follows.
  {
    BatchInserter ins(conn, progress, "follows", {"id", "follower_id", "followee_id", "status", "created_at", "updated_at"}, B);
    DAIRA_RETURN_IF_ERROR(tx.Begin());
    for (int64_t f = 0; f < F; ++f) {
      const int64_t t = t_follows + f * kSecond;
      auto& p = ins.params();
      p.emplace_back(IdAt(kFollow, t));
      p.emplace_back(user_id(follows[f].first));
      p.emplace_back(user_id(follows[f].second));
      p.emplace_back("ACTIVE");
      p.emplace_back(t);
      p.emplace_back(t);
      DAIRA_RETURN_IF_ERROR(ins.RowDone());
      DAIRA_RETURN_IF_ERROR(tx.Tick({&ins}));
    }
    DAIRA_RETURN_IF_ERROR(tx.Finish({&ins}));
    report.follows = ins.rows();
  }
  follows.clear();
  follows.shrink_to_fit();

  // Posts and their hashtag links.
  {
    Rng tag_rng(o.seed, kStreamPostTags);  // replays the counting pass exactly
    Rng rng(o.seed, kStreamPostText);
    BatchInserter ins(conn, progress, "posts",
                      {"id", "author_id", "content", "media_urls", "hashtags", "mentions", "likes_count",
                       "comments_count", "status", "visibility", "created_at", "updated_at"},
                      B);
    // Links wait until the posts they point at are inserted (flushed when the posts flush).
    BatchInserter links(conn, progress, "post_hashtags", {"post_id", "hashtag_id", "created_at"}, B, /*auto_flush=*/false);
    DAIRA_RETURN_IF_ERROR(tx.Begin());
    std::string content;
    for (int64_t p = 0; p < P; ++p) {
      PostTags t = NextPostTags(tag_rng, tag_zipf, H, user_zipf, popular, post_author[p]);
      const int64_t id = post_id(p);
      const int64_t created = t_posts + p * kSecond;
      content.clear();
      AppendWords(content, rng, 4 + rng.Below(14));
      std::vector<std::string> tag_names;
      for (int32_t tag : t.tags) {
        tag_names.push_back(HashtagName(tag));
        absl::StrAppend(&content, " #", tag_names.back());
      }
      std::vector<int64_t> mention_ids;
      for (int32_t m : t.mentions) {
        mention_ids.push_back(user_id(m));
        absl::StrAppend(&content, " @", usernames[m]);
      }
      std::vector<std::string> media;
      if (rng.Chance(0.3)) {
        int64_t n = 1 + rng.Below(3);
        for (int64_t k = 0; k < n; ++k) media.push_back(absl::StrCat("https://cdn.example.com/m/", id, "/", k, ".jpg"));
      }
      auto& v = ins.params();
      v.emplace_back(id);
      v.emplace_back(user_id(post_author[p]));
      v.emplace_back(content);
      v.emplace_back(std::move(media));
      v.emplace_back(std::move(tag_names));
      v.emplace_back(std::move(mention_ids));
      v.emplace_back(int64_t{post_likes[p]});
      v.emplace_back(int64_t{post_comments[p]});
      v.emplace_back("ACTIVE");
      v.emplace_back("PUBLIC");
      v.emplace_back(created);
      v.emplace_back(created);
      DAIRA_RETURN_IF_ERROR(ins.RowDone());
      for (int32_t tag : t.tags) {
        auto& l = links.params();
        l.emplace_back(id);
        l.emplace_back(tag_id(tag));
        l.emplace_back(created);
        DAIRA_RETURN_IF_ERROR(links.RowDone());
      }
      DAIRA_RETURN_IF_ERROR(tx.Tick({&ins}));
      if (ins.pending() == 0) DAIRA_RETURN_IF_ERROR(links.FlushFull());  // every pending link's post exists
    }
    DAIRA_RETURN_IF_ERROR(tx.Finish({&ins, &links}));
    report.posts = ins.rows();
    report.post_hashtags = links.rows();
  }

  // Videos.
  {
    Rng rng(o.seed ^ 0x5bd1e995, kStreamVideos);
    BatchInserter ins(conn, progress, "videos",
                      {"id", "author_id", "title", "description", "thumbnail_url", "hls_url", "duration_ms",
                       "resolution", "views_count", "likes_count", "comments_count", "status", "error", "embedding",
                       "created_at", "updated_at", "published_at"},
                      B);
    static constexpr const char* kStatus[] = {"PUBLISHED", "PROCESSING", "UPLOADING", "FAILED"};
    DAIRA_RETURN_IF_ERROR(tx.Begin());
    for (int64_t vi = 0; vi < V; ++vi) {
      const VideoDraft& d = videos[vi];
      const int64_t id = video_id(vi);
      const int64_t created = t_videos + vi * kSecond;
      const bool published = d.status == 0;
      std::string title, description;
      AppendWords(title, rng, 2 + rng.Below(6));
      AppendWords(description, rng, 8 + rng.Below(20));
      auto& v = ins.params();
      v.emplace_back(id);
      v.emplace_back(user_id(d.author));
      v.emplace_back(std::move(title));
      v.emplace_back(std::move(description));
      v.emplace_back(d.status <= 1 ? Value(absl::StrCat("https://cdn.example.com/v/", id, "/thumb.jpg")) : Value());
      v.emplace_back(published ? Value(absl::StrCat("https://cdn.example.com/v/", id, "/index.m3u8")) : Value());
      v.emplace_back(int64_t{5000} + rng.Below(600000));
      v.emplace_back(Pick(kResolutions, rng));
      v.emplace_back(published ? rng.Below(1000000) : int64_t{0});
      v.emplace_back(int64_t{video_likes[vi]});
      v.emplace_back(int64_t{video_comments[vi]});
      v.emplace_back(kStatus[d.status]);
      v.emplace_back(d.status == 3 ? Value("transcode: unsupported codec") : Value());
      if (published) {
        // 16 little-endian float32s, written byte by byte so the blob is the same on any host.
        std::string blob;
        for (int k = 0; k < 16; ++k) {
          float f = static_cast<float>(rng.Unit() * 2.0 - 1.0);
          uint32_t bits;
          std::memcpy(&bits, &f, sizeof bits);
          for (int b = 0; b < 4; ++b) blob.push_back(static_cast<char>((bits >> (8 * b)) & 0xff));
        }
        v.emplace_back(Value::Blob(std::move(blob)));
      } else {
        v.emplace_back(nullptr);
      }
      v.emplace_back(created);
      v.emplace_back(published ? created + 60 * kSecond : created);
      v.emplace_back(published ? Value(created + 60 * kSecond) : Value());
      DAIRA_RETURN_IF_ERROR(ins.RowDone());
      DAIRA_RETURN_IF_ERROR(tx.Tick({&ins}));
    }
    DAIRA_RETURN_IF_ERROR(tx.Finish({&ins}));
    report.videos = ins.rows();
  }

  // Comments (a parent always precedes its replies: parents have smaller indexes).
  {
    Rng rng(o.seed, kStreamCommentText);
    BatchInserter ins(conn, progress, "comments",
                      {"id", "post_id", "video_id", "parent_id", "author_id", "content", "mentions", "likes_count",
                       "replies_count", "status", "created_at", "updated_at"},
                      B);
    DAIRA_RETURN_IF_ERROR(tx.Begin());
    std::string content;
    for (int64_t c = 0; c < C; ++c) {
      const int64_t created = t_comments + c * kSecond;
      content.clear();
      AppendWords(content, rng, 2 + rng.Below(12));
      std::vector<int64_t> mentions;
      if (c_parent[c] >= 0) {
        int32_t replied_to = c_author[c_parent[c]];
        content = absl::StrCat("@", usernames[replied_to], " ", content);
        mentions.push_back(user_id(replied_to));
      }
      auto& v = ins.params();
      v.emplace_back(comment_id(c));
      v.emplace_back(c_is_video[c] ? Value() : Value(post_id(c_target[c])));
      v.emplace_back(c_is_video[c] ? Value(video_id(c_target[c])) : Value());
      v.emplace_back(c_parent[c] >= 0 ? Value(comment_id(c_parent[c])) : Value());
      v.emplace_back(user_id(c_author[c]));
      v.emplace_back(content);
      v.emplace_back(std::move(mentions));
      v.emplace_back(int64_t{comment_likes[c]});
      v.emplace_back(int64_t{c_replies[c]});
      v.emplace_back("ACTIVE");
      v.emplace_back(created);
      v.emplace_back(created);
      DAIRA_RETURN_IF_ERROR(ins.RowDone());
      DAIRA_RETURN_IF_ERROR(tx.Tick({&ins}));
    }
    DAIRA_RETURN_IF_ERROR(tx.Finish({&ins}));
    report.comments = ins.rows();
  }

  // Likes.
  {
    BatchInserter ins(conn, progress, "likes", {"id", "user_id", "post_id", "video_id", "comment_id", "reaction", "created_at"},
                      B);
    DAIRA_RETURN_IF_ERROR(tx.Begin());
    for (int64_t i = 0; i < L; ++i) {
      const LikeDraft& l = likes[i];
      const int64_t t = t_likes + i * kSecond;
      auto& v = ins.params();
      v.emplace_back(IdAt(kLike, t));
      v.emplace_back(user_id(l.user));
      v.emplace_back(l.kind == 0 ? Value(post_id(l.target)) : Value());
      v.emplace_back(l.kind == 1 ? Value(video_id(l.target)) : Value());
      v.emplace_back(l.kind == 2 ? Value(comment_id(l.target)) : Value());
      v.emplace_back(kReactions[l.reaction]);
      v.emplace_back(t);
      DAIRA_RETURN_IF_ERROR(ins.RowDone());
      DAIRA_RETURN_IF_ERROR(tx.Tick({&ins}));
    }
    DAIRA_RETURN_IF_ERROR(tx.Finish({&ins}));
    report.likes = ins.rows();
  }

  DAIRA_RETURN_IF_ERROR(tx.Commit());
  report.elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  return report;
}

}  // namespace daira::inline v0::store
