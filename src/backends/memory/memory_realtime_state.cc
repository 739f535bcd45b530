#include "backends/memory/memory_realtime_state.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <string>

namespace daira::inline v0::backends::memory {
namespace {

struct Device {
  int status = 0;
  int64_t expires_us = 0;
};
struct UserState {
  std::map<std::string, Device, std::less<>> devices;
  int64_t last_seen_us = 0;
};
struct Typist {
  int64_t expires_us = 0;
  int64_t last_sent_us = 0;
};

class MemoryRealtimeState final : public RealtimeState {
 public:
  absl::StatusOr<PresenceChange> UpdatePresence(int64_t user, std::string_view device, int status,
                                                int64_t now_us, int64_t expires_us,
                                                int64_t /*retention_ms*/) override {
    std::lock_guard lock(mu_);
    UserState& u = users_[user];
    PresenceChange c;
    // Before: as last announced (expired devices still count until pruned, so a sweep announces them).
    for (const auto& [name, d] : u.devices) c.before = std::max(c.before, d.status);
    if (!device.empty()) {
      if (status == 0) {
        if (auto it = u.devices.find(device); it != u.devices.end()) u.devices.erase(it);
      } else {
        u.devices[std::string(device)] = Device{status, expires_us};
      }
      u.last_seen_us = now_us;
    }
    c.after = Prune(u, now_us);
    c.last_seen_us = u.last_seen_us;
    return c;
  }

  absl::StatusOr<std::vector<PresenceRow>> ReadPresence(std::span<const int64_t> users,
                                                        int64_t now_us) override {
    std::lock_guard lock(mu_);
    std::vector<PresenceRow> out;
    for (int64_t id : users) {
      PresenceRow row;
      if (auto it = users_.find(id); it != users_.end()) {
        row.last_seen_us = it->second.last_seen_us;
        for (const auto& [name, d] : it->second.devices) {
          if (d.expires_us <= now_us) continue;
          ++row.devices;
          row.status = std::max(row.status, d.status);
        }
      }
      out.push_back(row);
    }
    return out;
  }

  absl::StatusOr<std::vector<int64_t>> PresenceExpired(int64_t now_us) override {
    std::lock_guard lock(mu_);
    std::vector<int64_t> out;
    for (const auto& [id, u] : users_) {
      for (const auto& [name, d] : u.devices) {
        if (d.expires_us <= now_us) {
          out.push_back(id);
          break;
        }
      }
    }
    return out;
  }

  absl::StatusOr<bool> TypingStart(int64_t conversation, int64_t user, int64_t now_us, int64_t expires_us,
                                   int64_t interval_us) override {
    std::lock_guard lock(mu_);
    auto& t = typing_[conversation];
    auto it = t.find(user);
    bool publish = true;
    int64_t last = now_us;
    if (it != t.end() && it->second.expires_us > now_us && now_us - it->second.last_sent_us < interval_us) {
      publish = false;
      last = it->second.last_sent_us;
    }
    t[user] = Typist{expires_us, last};
    return publish;
  }

  absl::StatusOr<bool> TypingStop(int64_t conversation, int64_t user, int64_t now_us) override {
    std::lock_guard lock(mu_);
    auto c = typing_.find(conversation);
    if (c == typing_.end()) return false;
    auto it = c->second.find(user);
    if (it == c->second.end()) return false;
    const bool live = it->second.expires_us > now_us;
    c->second.erase(it);
    if (c->second.empty()) typing_.erase(c);
    return live;
  }

  absl::StatusOr<std::vector<int64_t>> Typists(int64_t conversation, int64_t now_us) override {
    std::lock_guard lock(mu_);
    std::vector<int64_t> out;
    if (auto c = typing_.find(conversation); c != typing_.end()) {
      for (const auto& [user, t] : c->second) {
        if (t.expires_us > now_us) out.push_back(user);
      }
    }
    return out;
  }

  absl::StatusOr<std::vector<std::pair<int64_t, int64_t>>> TypingExpired(int64_t now_us) override {
    std::lock_guard lock(mu_);
    std::vector<std::pair<int64_t, int64_t>> out;
    for (auto c = typing_.begin(); c != typing_.end();) {
      for (auto it = c->second.begin(); it != c->second.end();) {
        if (it->second.expires_us <= now_us) {
          out.emplace_back(c->first, it->first);
          it = c->second.erase(it);
        } else {
          ++it;
        }
      }
      c = c->second.empty() ? typing_.erase(c) : std::next(c);
    }
    return out;
  }

 private:
  // Drops expired devices; returns the aggregate status.
  static int Prune(UserState& u, int64_t now_us) {
    int best = 0;
    for (auto it = u.devices.begin(); it != u.devices.end();) {
      if (it->second.expires_us <= now_us) {
        it = u.devices.erase(it);
      } else {
        best = std::max(best, it->second.status);
        ++it;
      }
    }
    return best;
  }

  std::mutex mu_;
  std::map<int64_t, UserState> users_;
  std::map<int64_t, std::map<int64_t, Typist>> typing_;
};

}  // namespace

std::unique_ptr<RealtimeState> NewMemoryRealtimeState() { return std::make_unique<MemoryRealtimeState>(); }

}  // namespace daira::inline v0::backends::memory
