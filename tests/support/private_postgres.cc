#include "private_postgres.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "test_paths.h"  // generated: DAIRA_SOURCE_DIR, DAIRA_*_WORKER, DAIRA_CLI_BINARY

#ifndef DAIRA_SOURCE_DIR
#error "DAIRA_SOURCE_DIR must name the source tree (tests/CMakeLists.txt)"
#endif

namespace daira::testing {
namespace {

std::string Script() { return std::string(DAIRA_SOURCE_DIR) + "/scripts/lib/private_pg.sh"; }

// Children of `parent`, from /proc/<pid>/stat ("pid (comm) state ppid ...").
std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    std::getline(in, stat);
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    long ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

}  // namespace

bool PrivatePostgresAvailable() {
  for (const char* dir : {"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"}) {
    if (access((std::string(dir) + "/initdb").c_str(), X_OK) == 0) return true;
  }
  return false;
}

absl::Status PrivatePostgres::Run(const std::string& command, std::string* out) const {
  std::string cmd = absl::StrCat("bash '", Script(), "' ", command, " 2>&1");
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return absl::InternalError(absl::StrCat("private postgres: cannot run ", cmd));
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) text.append(buf, n);
  const int rc = pclose(p);
  if (out != nullptr) *out = text;
  if (rc != 0) return absl::InternalError(absl::StrCat("private postgres: `", command, "` failed: ", text));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PrivatePostgres>> PrivatePostgres::Start(bool with_replica) {
  if (!PrivatePostgresAvailable()) {
    return absl::FailedPreconditionError("private postgres: no PostgreSQL server binaries (run scripts/setup)");
  }
  char tmpl[] = "/tmp/daira-private-pg.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return absl::InternalError("private postgres: mkdtemp failed");
  std::unique_ptr<PrivatePostgres> pg(new PrivatePostgres());
  pg->dir_ = tmpl;
  std::string out;
  absl::Status st = pg->Run(absl::StrCat("start ", pg->dir_, with_replica ? " replica" : ""), &out);
  if (!st.ok()) return st;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("port=", 0) == 0) pg->port_ = std::stoi(line.substr(5));
    if (line.rfind("rport=", 0) == 0) pg->replica_port_ = std::stoi(line.substr(6));
  }
  if (pg->port_ == 0 || (with_replica && pg->replica_port_ == 0)) {
    return absl::InternalError(absl::StrCat("private postgres: no port in: ", out));
  }
  return pg;
}

PrivatePostgres::~PrivatePostgres() {
  if (!frozen_.empty()) (void)Thaw();
  if (!dir_.empty()) (void)Run(absl::StrCat("stop ", dir_));
}

std::string PrivatePostgres::url() const { return absl::StrCat("postgres://postgres@127.0.0.1:", port_, "/postgres"); }

std::string PrivatePostgres::replica_url() const {
  if (replica_port_ == 0) return "";
  return absl::StrCat("postgres://postgres@127.0.0.1:", replica_port_, "/postgres");
}

absl::Status PrivatePostgres::Freeze() {
  std::ifstream in(dir_ + "/primary/postmaster.pid");
  long postmaster = 0;
  if (!(in >> postmaster) || postmaster <= 1) return absl::InternalError("private postgres: no postmaster.pid");
  // The postmaster first (so it starts no new backend), then every child.
  if (kill(static_cast<pid_t>(postmaster), SIGSTOP) != 0) return absl::InternalError("private postgres: SIGSTOP failed");
  frozen_.push_back(static_cast<pid_t>(postmaster));
  for (pid_t child : ChildrenOf(static_cast<pid_t>(postmaster))) {
    if (kill(child, SIGSTOP) == 0) frozen_.push_back(child);
  }
  return absl::OkStatus();
}

absl::Status PrivatePostgres::Thaw() {
  for (auto it = frozen_.rbegin(); it != frozen_.rend(); ++it) kill(*it, SIGCONT);
  frozen_.clear();
  return absl::OkStatus();
}

absl::Status PrivatePostgres::Restart() { return Run(absl::StrCat("restart ", dir_)); }
absl::Status PrivatePostgres::Promote() { return Run(absl::StrCat("promote ", dir_)); }
absl::Status PrivatePostgres::StopPrimary() { return Run(absl::StrCat("stop-primary ", dir_)); }

}  // namespace daira::testing
