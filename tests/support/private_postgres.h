// A private PostgreSQL server for tests that disturb their server (freeze it with SIGSTOP, restart it,
// fail it over), so the shared test servers are never touched. Started by scripts/lib/private_pg.sh
// (initdb on a free 127.0.0.1 port, as the `postgres` user when root), stopped and removed on destruction.
//
//   ASSERT_OK_AND_ASSIGN(auto pg, PrivatePostgres::Start());
//   auto db = store::Database::Open(pg->url());
//   ASSERT_OK(pg->Freeze());   // SIGSTOP the postmaster and every backend, by PID
//   ...
//   ASSERT_OK(pg->Thaw());
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace daira::testing {

class PrivatePostgres {
 public:
  // Starts a primary (with `with_replica`, also a synchronous streaming replica). FailedPrecondition
  // when no PostgreSQL server binaries are installed; Internal when the server does not start.
  static absl::StatusOr<std::unique_ptr<PrivatePostgres>> Start(bool with_replica = false);
  ~PrivatePostgres();
  PrivatePostgres(const PrivatePostgres&) = delete;
  PrivatePostgres& operator=(const PrivatePostgres&) = delete;

  int port() const { return port_; }
  int replica_port() const { return replica_port_; }
  std::string url() const;          // postgres://postgres@127.0.0.1:<port>/postgres
  std::string replica_url() const;  // the replica's, "" without one

  // SIGSTOP the primary's postmaster and all its children (by PID, from postmaster.pid and /proc).
  absl::Status Freeze();
  // SIGCONT every process Freeze stopped.
  absl::Status Thaw();
  absl::Status Restart();      // fast restart in place (same port)
  absl::Status Promote();      // the replica becomes a primary
  absl::Status StopPrimary();  // fast shutdown of the primary

 private:
  PrivatePostgres() = default;
  absl::Status Run(const std::string& command, std::string* out = nullptr) const;
  std::string dir_;
  int port_ = 0;
  int replica_port_ = 0;
  std::vector<pid_t> frozen_;
};

// True when PrivatePostgres can run here (server binaries installed).
bool PrivatePostgresAvailable();

}  // namespace daira::testing
