// The benchmark fixture's row and the interface both raw-driver baselines implement.
// Header-only: bench/CMakeLists.txt builds one executable per *_bench.cc, which includes these.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace daira_bench {

inline constexpr int64_t kFixtureUsers = 100000;
inline constexpr int kBatchSize = 100;

struct RawUser {
  int64_t id = 0;
  std::string username;
  std::string email;
  int64_t created_at = 0;
};

// A hand-written data access path on the plain driver: statements prepared once, bind/step/reset.
class RawUsers {
 public:
  virtual ~RawUsers() = default;
  // Loads `out` with user `id`; false when there is no such row (or on error, printed to stderr).
  virtual bool PointSelect(int64_t id, RawUser* out) = 0;
  // Loads the users among `ids` (one statement); returns how many rows came back.
  virtual size_t BatchSelect(std::span<const int64_t> ids, std::vector<RawUser>* out) = 0;
};

// "[1,2,3]" (SQLite json_each) or "{1,2,3}" (Postgres array literal).
inline std::string JoinIds(std::span<const int64_t> ids, char open, char close) {
  std::string s(1, open);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) s.push_back(',');
    s += std::to_string(ids[i]);
  }
  s.push_back(close);
  return s;
}

}  // namespace daira_bench
