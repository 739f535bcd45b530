// SqlText: an SQL text with a stable identity, for statements a program runs call after call.
//
// A connection finds the prepared statement of an SqlText by its id (an integer) instead of hashing
// the text, which matters for long texts (a 2 kB search statement costs ~2k instructions to hash per
// call). The statement is still the one for the text: two SqlText objects with equal texts share one
// prepared statement per connection (the first use of each on a connection looks the text up once),
// and a plain-text Prepare of the same text finds it too.
//
//   static const auto* kGetUser = new store::SqlText("SELECT username FROM users WHERE id = ?");
//   DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, conn.Execute(*kGetUser, {id}));
//
// Make one per statement shape and keep it (a function-local static, a member of a long-lived
// object); an SqlText built per call works but gains nothing over the plain text.
//
// Thread-safety: immutable after construction; safe to share between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace daira::inline v0::store {

class SqlText {
 public:
  // Takes the text (`?` placeholders) and draws a fresh id, never reused in the process.
  explicit SqlText(std::string sql);
  // Not copyable or movable: the id names this text, and a moved-from object would keep it.
  SqlText(const SqlText&) = delete;
  SqlText& operator=(const SqlText&) = delete;

  std::string_view view() const { return sql_; }
  const std::string& str() const { return sql_; }
  // Unique per object for the life of the process; never 0.
  uint64_t id() const { return id_; }

 private:
  std::string sql_;
  uint64_t id_;
};

}  // namespace daira::inline v0::store
