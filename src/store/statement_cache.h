// StatementCache: a connection's prepared statements, LRU-bounded, found by text or by identity.
//
// Both backends keep their statements here. A statement is found by its SQL text (a hash of the text)
// or, for a store::SqlText, by the text's id (a hash of an integer): the first use of an SqlText on a
// connection finds the statement by text (or the caller prepares it) and remembers the id for it, so
// equal texts share one statement whichever way they come. An entry remembers one id (the last one
// used), so the id index never outgrows the cache.
//
// Thread-safety: none (one per connection; a connection is used by one thread at a time).
#pragma once

#include <algorithm>
#include <cstdint>
#include <list>
#include <memory>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "daira/store/sql_text.h"

namespace daira::inline v0::store::internal {

// S: a statement type with `std::string_view sql() const` (its own copy of the text).
template <typename S>
class StatementCache {
 public:
  explicit StatementCache(int capacity) : capacity_(static_cast<size_t>(std::max(1, capacity))) {}

  // The statement for `sql`, made the most recently used; null when none is cached.
  S* Find(std::string_view sql) {
    auto it = by_text_.find(sql);
    if (it == by_text_.end()) return nullptr;
    return Touch(it->second);
  }

  // The statement for `sql` found by its id (or, on its first use here, by its text, then
  // remembered for the id); null when none is cached (Insert it with sql.id()).
  S* Find(const SqlText& sql) {
    auto it = by_id_.find(sql.id());
    if (it != by_id_.end()) return Touch(it->second);
    auto text = by_text_.find(sql.view());
    if (text == by_text_.end()) return nullptr;
    Remember(text->second, sql.id());
    return Touch(text->second);
  }

  // Caches `st` (whose text is not cached yet) as the most recently used, remembered for `id` (0: no
  // id). Returns it.
  S* Insert(std::unique_ptr<S> st, uint64_t id) {
    S* raw = st.get();
    lru_.push_front(Entry{std::move(st), 0});
    by_text_.emplace(raw->sql(), lru_.begin());
    if (id != 0) Remember(lru_.begin(), id);
    return raw;
  }

  // Removes the least recently used statements beyond the capacity (never the most recent one),
  // handing each to `evict(std::unique_ptr<S>)`.
  template <typename F>
  void EvictOverCapacity(F&& evict) {
    while (lru_.size() > capacity_) {
      Entry& victim = lru_.back();
      by_text_.erase(victim.statement->sql());
      if (victim.id != 0) by_id_.erase(victim.id);
      std::unique_ptr<S> st = std::move(victim.statement);
      lru_.pop_back();
      evict(std::move(st));
    }
  }

  // Drops every statement (destroying them, most recent first).
  void Clear() {
    by_id_.clear();
    by_text_.clear();
    lru_.clear();
  }

  size_t size() const { return lru_.size(); }

 private:
  struct Entry {
    std::unique_ptr<S> statement;
    uint64_t id;  // the SqlText id it was last found by, 0 when none
  };
  using Iterator = typename std::list<Entry>::iterator;

  S* Touch(Iterator it) {
    if (it != lru_.begin()) lru_.splice(lru_.begin(), lru_, it);
    return it->statement.get();
  }
  void Remember(Iterator it, uint64_t id) {
    if (it->id != 0) by_id_.erase(it->id);
    it->id = id;
    by_id_[id] = it;
  }

  size_t capacity_;
  std::list<Entry> lru_;                                     // front = most recently used
  absl::flat_hash_map<std::string_view, Iterator> by_text_;  // views into the statements' own texts
  absl::flat_hash_map<uint64_t, Iterator> by_id_;
};

}  // namespace daira::inline v0::store::internal
