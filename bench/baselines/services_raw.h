// The plain structs and the interface of the raw-driver baselines for bench/services_bench.cc, and the
// small hand-written helpers both drivers share (array-text parsing, search terms, trending scores).
//
// A baseline runs the SAME statements the daira services run (the bench hands it their SQL text, see
// ServicesSql), prepared once on one connection held for the whole run, binds the same parameter values
// computed by hand per call, and copies every row into the plain structs below — what a careful
// hand-written data access layer would do. Header-only: bench/CMakeLists.txt builds one executable per
// *_bench.cc.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace daira_bench {

// What each `?` of the user-search statement stands for (the statement's shape is the search
// service's business: the bench maps its parameters to these roles once, see services_bench.cc).
enum class SearchParam {
  kQuery,       // q
  kLength,      // q's length in code points (integer)
  kPrefixEnd,   // q + "\xFF" (SQLite prefix range)
  kUpperBound,  // q with its last character incremented (Postgres prefix range in the "C" collation)
  kLikePrefix,  // q with LIKE wildcards escaped by '!', then '%'
  kFts5Prefix,  // FTS5: every word quoted, with '*'
  kFts5Word,    // FTS5: the word quoted, whole
  kTsPrefix,    // tsquery: every word quoted, with :*, ANDed
  kTsWord,      // tsquery: the word quoted, whole
  kFetch,       // the page size + 1 (integer)
};

// The values of every role for one query. Whole-word roles hold the first word: the bench's queries
// are single words (a multi-word query gives the service's statement another shape).
struct SearchTerms {
  std::string q, prefix_end, upper_bound, like_prefix, fts5_prefix, fts5_word, ts_prefix, ts_word;
  int64_t length = 0;
  int64_t fetch = 0;
};

// The statements, with `?` placeholders (the Postgres baseline numbers them itself).
struct ServicesSql {
  std::string user_get;    // UserRepository::Get: (id)
  std::string user_batch;  // UserRepository::GetMany: (id array)
  std::string search;      // Search::Users first page; parameters as search_params says
  std::vector<SearchParam> search_params;
  std::string home;        // Feed::Home first page: (viewer x4, now, viewer, viewer, INT64_MAX)
  std::string authors;     // the feed's author hydration: (id array)
  std::string stats;       // Profiles::Stats: (user id)
  std::string trending;    // Trending::Videos candidates: (since, now)
};

struct RawUserRow {
  int64_t id = 0;
  std::string username;
  std::optional<std::string> email, phone, avatar_url;
  bool is_verified = false;
  bool is_private = false;
  std::string status, role;
  std::optional<int64_t> last_login_at;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  std::optional<int64_t> deleted_at;
};

struct RawAuthor {
  int64_t id = 0;
  std::string username, display_name, avatar_url;
  bool is_verified = false;
};

struct RawPost {
  int64_t id = 0;
  int64_t author_id = 0;
  std::string content;
  std::vector<std::string> media_urls, hashtags;
  std::vector<int64_t> mentions;
  int64_t likes_count = 0;
  int64_t comments_count = 0;
  std::string status, visibility;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  std::optional<int64_t> deleted_at;
  RawAuthor author;
};

struct RawHit {
  int bucket = 0;
  int64_t id = 0;
  std::string username, display_name;
  std::optional<std::string> avatar_url;
  bool is_verified = false;
};

struct RawStats {
  int64_t followers = 0, following = 0, posts = 0, videos = 0, likes_received = 0;
};

struct RawVideo {
  int64_t id = 0;
  int64_t author_id = 0;
  std::string title, description;
  std::vector<std::string> hashtags;
  std::optional<std::string> thumbnail_url, hls_url;
  int64_t duration_ms = 0;
  std::string resolution;
  int64_t views_count = 0, likes_count = 0, comments_count = 0;
  std::string status, visibility;
  std::optional<std::string> error;
  int64_t created_at = 0, updated_at = 0;
  std::optional<int64_t> published_at;
  double score = 0;
};

// One hand-written data access path per driver. Each call runs its statements on the held connection;
// a result of -1 / false means the statement failed (printed to stderr).
class RawServices {
 public:
  virtual ~RawServices() = default;
  virtual bool GetUser(int64_t id, RawUserRow* out) = 0;
  // The users among `ids` (distinct), in the order given.
  virtual int64_t GetUsers(std::span<const int64_t> ids, std::vector<RawUserRow>* out) = 0;
  // The first `limit` hits for `q` (already trimmed and lower-cased, as the service does).
  virtual int64_t SearchUsers(const std::string& q, int limit, std::vector<RawHit>* out) = 0;
  // The viewer's first home page (the page size is fixed by ServicesSql::home), authors hydrated.
  virtual int64_t HomeFeed(int64_t viewer, int64_t now, int limit, std::vector<RawPost>* out) = 0;
  virtual bool Stats(int64_t user, RawStats* out) = 0;
  // The top `limit` videos by decayed engagement among the newest candidates of the window.
  virtual int64_t TrendingVideos(int64_t now, int64_t window_us, int limit, std::vector<RawVideo>* out) = 0;
  // Statements executed so far.
  int64_t statements() const { return statements_; }

 protected:
  int64_t statements_ = 0;
};

// --- shared hand-written helpers ------------------------------------------------------------------

inline int64_t ParseInt(std::string_view s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// A JSON array of strings or integers as SQLite stores TEXT_ARRAY columns ("[\"a\",\"b\"]", "[1,2]").
// Handles the escapes JSON allows (\uXXXX within the BMP).
inline void ParseJsonStrings(std::string_view s, std::vector<std::string>* out) {
  out->clear();
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '"') {
      ++i;
      continue;
    }
    std::string& cur = out->emplace_back();
    for (++i; i < s.size() && s[i] != '"'; ++i) {
      if (s[i] != '\\' || i + 1 >= s.size()) {
        cur.push_back(s[i]);
        continue;
      }
      const char e = s[++i];
      switch (e) {
        case 'n': cur.push_back('\n'); break;
        case 't': cur.push_back('\t'); break;
        case 'r': cur.push_back('\r'); break;
        case 'b': cur.push_back('\b'); break;
        case 'f': cur.push_back('\f'); break;
        case 'u': {
          unsigned cp = 0;
          if (i + 4 < s.size()) std::from_chars(s.data() + i + 1, s.data() + i + 5, cp, 16);
          i += 4;
          if (cp < 0x80) {
            cur.push_back(static_cast<char>(cp));
          } else if (cp < 0x800) {
            cur.push_back(static_cast<char>(0xC0 | (cp >> 6)));
            cur.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
          } else {
            cur.push_back(static_cast<char>(0xE0 | (cp >> 12)));
            cur.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            cur.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
          }
          break;
        }
        default: cur.push_back(e);  // \" \\ \/
      }
    }
    ++i;  // closing quote
  }
}

// Integers of a JSON array ("[1,2]") or a Postgres array literal ("{1,2}").
inline void ParseInts(std::string_view s, std::vector<int64_t>* out) {
  out->clear();
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '-' || (s[i] >= '0' && s[i] <= '9')) {
      int64_t v = 0;
      auto r = std::from_chars(s.data() + i, s.data() + s.size(), v);
      out->push_back(v);
      i = static_cast<size_t>(r.ptr - s.data());
    } else {
      ++i;
    }
  }
}

// A Postgres text[] in text output format: {a,"b c","d\"e",NULL}.
inline void ParsePgTextArray(std::string_view s, std::vector<std::string>* out) {
  out->clear();
  if (s.size() < 2) return;
  size_t i = 1;
  const size_t end = s.size() - 1;  // the closing brace
  while (i < end) {
    std::string& cur = out->emplace_back();
    if (s[i] == '"') {
      for (++i; i < end && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < end) ++i;
        cur.push_back(s[i]);
      }
      ++i;  // closing quote
    } else {
      while (i < end && s[i] != ',') cur.push_back(s[i++]);
      if (cur == "NULL") cur.clear();
    }
    if (i < end && s[i] == ',') ++i;
  }
}

// "[1,2,3]" (SQLite json_each) or "{1,2,3}" (Postgres array literal).
inline std::string IdArrayText(std::span<const int64_t> ids, char open, char close) {
  std::string s(1, open);
  char buf[24];
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) s.push_back(',');
    auto r = std::to_chars(buf, buf + sizeof buf, ids[i]);
    s.append(buf, r.ptr);
  }
  s.push_back(close);
  return s;
}

// The words of a search query for full-text matching: runs of ASCII letters/digits or non-ASCII bytes,
// lower-cased, at most 8 (the service's rule).
inline std::vector<std::string> SearchWords(std::string_view q) {
  std::vector<std::string> out;
  std::string cur;
  for (unsigned char c : q) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (c >= 0x80 || alnum) {
      cur.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  if (out.size() > 8) out.resize(8);
  return out;
}

inline int64_t Utf8Chars(std::string_view s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

inline std::string Fts5Quoted(const std::string& w) {
  std::string out = "\"";
  for (char c : w) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

inline std::string TsQuoted(const std::string& w) {
  std::string out = "'";
  for (char c : w) {
    if (c == '\'' || c == '\\') out.push_back(c == '\'' ? '\'' : '\\');
    out.push_back(c);
  }
  return out + "'";
}

// Every role's value for query `q` (trimmed, lower-case) and a page of `limit`. The upper bound
// increments the last byte: right for the ASCII queries the bench uses.
inline SearchTerms MakeSearchTerms(const std::string& q, int limit) {
  SearchTerms t;
  t.q = q;
  t.length = Utf8Chars(q);
  t.fetch = limit + 1;
  t.prefix_end = q + "\xFF";
  t.upper_bound = q;
  if (!t.upper_bound.empty()) t.upper_bound.back() = static_cast<char>(t.upper_bound.back() + 1);
  for (char c : q) {
    if (c == '%' || c == '_' || c == '!') t.like_prefix.push_back('!');
    t.like_prefix.push_back(c);
  }
  t.like_prefix.push_back('%');
  const std::vector<std::string> words = SearchWords(q);
  for (const std::string& w : words) {
    if (!t.fts5_prefix.empty()) t.fts5_prefix.push_back(' ');
    t.fts5_prefix += Fts5Quoted(w) + "*";
    if (!t.ts_prefix.empty()) t.ts_prefix += " & ";
    t.ts_prefix += TsQuoted(w) + ":*";
  }
  if (!words.empty()) {
    t.fts5_word = Fts5Quoted(words.front());
    t.ts_word = TsQuoted(words.front());
  }
  return t;
}

// The text of a string role.
inline const std::string& SearchText(const SearchTerms& t, SearchParam p) {
  switch (p) {
    case SearchParam::kPrefixEnd: return t.prefix_end;
    case SearchParam::kUpperBound: return t.upper_bound;
    case SearchParam::kLikePrefix: return t.like_prefix;
    case SearchParam::kFts5Prefix: return t.fts5_prefix;
    case SearchParam::kFts5Word: return t.fts5_word;
    case SearchParam::kTsPrefix: return t.ts_prefix;
    case SearchParam::kTsWord: return t.ts_word;
    default: return t.q;
  }
}

// Trending: engagement / (age_hours + 2)^1.5, ranked by (score, id) descending; keeps the top `limit`
// of `videos` (all candidates, hydrated).
inline void RankTrending(int64_t now, int limit, std::vector<RawVideo>* videos) {
  for (RawVideo& v : *videos) {
    const double engagement = static_cast<double>(v.views_count) + 3.0 * static_cast<double>(v.likes_count) +
                              5.0 * static_cast<double>(v.comments_count);
    const double age_hours =
        std::max<double>(0.0, static_cast<double>(now - v.published_at.value_or(0)) / (3600.0 * 1e6));
    v.score = engagement / std::pow(age_hours + 2.0, 1.5);
  }
  const size_t keep = std::min(videos->size(), static_cast<size_t>(limit));
  std::partial_sort(videos->begin(), videos->begin() + static_cast<std::ptrdiff_t>(keep), videos->end(),
                    [](const RawVideo& a, const RawVideo& b) { return std::tie(b.score, b.id) < std::tie(a.score, a.id); });
  videos->resize(keep);
}

// Fills post.author from `authors` (the feed's hydration).
inline void AttachAuthors(const std::vector<RawAuthor>& authors, std::vector<RawPost>* posts) {
  for (RawPost& p : *posts) {
    for (const RawAuthor& a : authors) {
      if (a.id == p.author_id) {
        p.author = a;
        break;
      }
    }
  }
}

// The distinct author ids of `posts`, in first-seen order.
inline void DistinctAuthors(const std::vector<RawPost>& posts, std::vector<int64_t>* ids) {
  ids->clear();
  for (const RawPost& p : posts) {
    if (std::find(ids->begin(), ids->end(), p.author_id) == ids->end()) ids->push_back(p.author_id);
  }
}

}  // namespace daira_bench
