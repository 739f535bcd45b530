#include "bus/pick_cursor.h"

#include <charconv>

namespace daira::inline v0::bus::internal {

namespace {
constexpr char kSep = '\x1f';  // the ASCII unit separator
}  // namespace

bool After(const PickPosition& a, const PickPosition& b) {
  if (a.priority != b.priority) return a.priority < b.priority;
  if (a.run_at != b.run_at) return a.run_at > b.run_at;
  return a.id > b.id;
}

PickCursors::Start PickCursors::Begin(std::string_view queue) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = queues_.find(queue);
  if (it == queues_.end()) it = queues_.emplace(std::string(queue), State{}).first;
  State& st = it->second;
  if (st.probe) {
    st.probe = false;
    return {.from = std::nullopt, .epoch = st.epoch};
  }
  return {.from = st.at, .epoch = st.epoch};
}

void PickCursors::Probe(std::string_view queue) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = queues_.find(queue);
  if (it == queues_.end() || !it->second.at.has_value()) return;  // the next pick starts at the head anyway
  it->second.probe = true;
}

void PickCursors::Note(State& st, Change c) {
  c.epoch = ++st.epoch;
  st.changes.push_back(c);
  if (st.changes.size() > kKeptChanges) st.changes.pop_front();
}

void PickCursors::Advance(std::string_view queue, const Start& start, const PickPosition& last) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = queues_.find(queue);
  if (it == queues_.end()) return;
  State& st = it->second;
  if (st.epoch != start.epoch) {
    // Changes since the pick began: it may not have seen them. It moves the cursor only if every one
    // was an entry that cannot be at or before its last job (Entered's rule), all of them still kept.
    if (st.changes.empty() || st.changes.front().epoch > start.epoch + 1) return;
    for (const Change& c : st.changes) {
      if (c.epoch <= start.epoch) continue;
      if (c.reset) return;
      if (c.min_priority <= last.priority && last.priority <= c.max_priority && c.run_at <= last.run_at) return;
    }
  }
  // Concurrent picks from the same epoch: each walked from a position the cursor had, so the furthest
  // of their ends is covered.
  if (!st.at.has_value() || After(last, *st.at)) st.at = last;
}

void PickCursors::Reset(std::string_view queue) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = queues_.find(queue);
  if (it == queues_.end()) return;  // never picked: nothing to forget, no pick in flight
  it->second.at.reset();
  Note(it->second, {.reset = true});
}

void PickCursors::ResetAll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, st] : queues_) {
    st.at.reset();
    Note(st, {.reset = true});
  }
}

void PickCursors::Entered(std::string_view queue, int64_t min_priority, int64_t max_priority, int64_t run_at) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = queues_.find(queue);
  if (it == queues_.end()) return;
  State& st = it->second;
  // A pick in flight may not have seen these jobs: it must not move the cursor past them (Advance).
  Note(st, {.min_priority = min_priority, .max_priority = max_priority, .run_at = run_at});
  // Behind the cursor only at its own priority (higher ones are read from their head, lower ones
  // after it), and only with a run-at at or before its run-at (ids are not known here: equal counts).
  if (st.at.has_value() && min_priority <= st.at->priority && st.at->priority <= max_priority &&
      run_at <= st.at->run_at) {
    st.at.reset();
  }
}

std::string FormatEntryNotice(std::string_view queue, uint64_t origin, int64_t min_priority, int64_t max_priority,
                              int64_t run_at) {
  std::string out(queue);
  for (uint64_t v : {origin, static_cast<uint64_t>(min_priority), static_cast<uint64_t>(max_priority),
                     static_cast<uint64_t>(run_at)}) {
    out += kSep;
    out += std::to_string(v);
  }
  return out;
}

EntryNotice ParseEntryNotice(std::string_view payload) {
  // The four numbers after the last four separators (a queue name could hold the separator itself).
  EntryNotice n;
  n.queue = std::string(payload);
  uint64_t fields[4] = {0, 0, 0, 0};
  std::string_view rest = payload;
  for (int k = 3; k >= 0; --k) {
    const size_t sep = rest.rfind(kSep);
    if (sep == std::string_view::npos) return n;  // a queue name alone: a reset
    const std::string_view f = rest.substr(sep + 1);
    auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), fields[k]);
    if (ec != std::errc() || end != f.data() + f.size()) return n;
    rest = rest.substr(0, sep);
  }
  n.queue = std::string(rest);
  n.origin = fields[0];
  n.positioned = true;
  n.min_priority = static_cast<int64_t>(fields[1]);
  n.max_priority = static_cast<int64_t>(fields[2]);
  n.run_at = static_cast<int64_t>(fields[3]);
  return n;
}

}  // namespace daira::inline v0::bus::internal
