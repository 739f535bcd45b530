#include "daira/store/dialect.h"

#include <cctype>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daira/core/status.h"

namespace daira::inline v0::store {

namespace {

// Calls on_placeholder(i) for each `?` outside quotes/comments, on_char(c) for every other byte.
// Handles '...' (with ''), "..." identifiers, -- and /* */ comments, and $tag$...$tag$ bodies.
template <typename OnPlaceholder, typename OnText>
void ScanSql(std::string_view sql, OnPlaceholder on_placeholder, OnText on_text) {
  size_t i = 0;
  const size_t n = sql.size();
  auto copy_until = [&](size_t end) {
    on_text(sql.substr(i, end - i));
    i = end;
  };
  while (i < n) {
    char c = sql[i];
    if (c == '?') {
      on_placeholder();
      ++i;
    } else if (c == '\'' || c == '"') {
      size_t j = i + 1;
      while (j < n) {
        if (sql[j] == c) {
          if (j + 1 < n && sql[j + 1] == c) { j += 2; continue; }
          ++j;
          break;
        }
        ++j;
      }
      copy_until(j > n ? n : j);
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      size_t j = sql.find('\n', i);
      copy_until(j == std::string_view::npos ? n : j);
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      size_t j = sql.find("*/", i + 2);
      copy_until(j == std::string_view::npos ? n : j + 2);
    } else if (c == '$') {
      // $tag$ ... $tag$ (tag may be empty); $1-style parameters are not dollar quotes.
      size_t j = i + 1;
      while (j < n && (std::isalnum(static_cast<unsigned char>(sql[j])) || sql[j] == '_')) ++j;
      bool is_quote = j < n && sql[j] == '$' && (j == i + 1 || !std::isdigit(static_cast<unsigned char>(sql[i + 1])));
      if (is_quote) {
        std::string_view tag = sql.substr(i, j - i + 1);
        size_t end = sql.find(tag, j + 1);
        copy_until(end == std::string_view::npos ? n : end + tag.size());
      } else {
        copy_until(i + 1);
      }
    } else {
      size_t j = i + 1;
      while (j < n && sql[j] != '?' && sql[j] != '\'' && sql[j] != '"' && sql[j] != '-' && sql[j] != '/' &&
             sql[j] != '$') {
        ++j;
      }
      copy_until(j);
    }
  }
}

}  // namespace

std::string Dialect::RewritePlaceholders(std::string_view sql) const {
  if (backend_ == Backend::kSqlite) return std::string(sql);
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 1;
  ScanSql(
      sql, [&] { absl::StrAppend(&out, "$", next++); },
      [&](std::string_view text) { out.append(text.data(), text.size()); });
  return out;
}

int Dialect::CountPlaceholders(std::string_view sql) {
  int count = 0;
  ScanSql(sql, [&] { ++count; }, [](std::string_view) {});
  return count;
}

std::string Dialect::InArray(std::string_view column) const {
  if (backend_ == Backend::kPostgres) return absl::StrCat(ToAbsl(column), " = ANY(?)");
  return absl::StrCat(ToAbsl(column), " IN (SELECT value FROM json_each(?))");
}

std::string Dialect::Upsert(std::string_view table, const std::vector<std::string>& columns,
                            const std::vector<std::string>& conflict,
                            const std::vector<std::string>& update) const {
  std::vector<std::string> marks(columns.size(), "?");
  std::string sql = absl::StrCat("INSERT INTO ", ToAbsl(table), " (", absl::StrJoin(columns, ", "), ") VALUES (",
                                 absl::StrJoin(marks, ", "), ") ON CONFLICT (", absl::StrJoin(conflict, ", "),
                                 ") DO ");
  if (update.empty()) return sql + "NOTHING";
  std::vector<std::string> sets;
  sets.reserve(update.size());
  for (const std::string& u : update) sets.push_back(absl::StrCat(u, " = excluded.", u));
  return absl::StrCat(sql, "UPDATE SET ", absl::StrJoin(sets, ", "));
}

std::string Dialect::NowMicros() const {
  if (backend_ == Backend::kPostgres) return "(extract(epoch from clock_timestamp()) * 1000000)::bigint";
  return "(CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))";
}

}  // namespace daira::inline v0::store
