#include "private_redis.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "test_backends.h"

extern char** environ;

namespace daira::testing {
namespace {

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

// True when 127.0.0.1:port answers PING (with AUTH first when a password is set) with +PONG.
bool Pings(int port, const std::string& password) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = false;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    std::string cmd;
    if (!password.empty()) {
      cmd = absl::StrCat("*2\r\n$4\r\nAUTH\r\n$", password.size(), "\r\n", password, "\r\n");
    }
    cmd += "*1\r\n$4\r\nPING\r\n";
    if (write(fd, cmd.data(), cmd.size()) == static_cast<ssize_t>(cmd.size())) {
      timeval tv{.tv_sec = 1, .tv_usec = 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      std::string got;
      char buf[256];
      while (got.find("PONG") == std::string::npos && got.find("-") == std::string::npos) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0) break;
        got.append(buf, static_cast<size_t>(n));
      }
      ok = got.find("+PONG") != std::string::npos;
    }
  }
  close(fd);
  return ok;
}

}  // namespace

bool PrivateRedisAvailable() { return std::system("command -v redis-server >/dev/null 2>&1") == 0; }

absl::StatusOr<std::unique_ptr<PrivateRedis>> PrivateRedis::Start(const PrivateRedisOptions& options) {
  if (!PrivateRedisAvailable()) {
    return absl::FailedPreconditionError("private redis: redis-server is not installed (run scripts/setup)");
  }
  std::unique_ptr<PrivateRedis> r(new PrivateRedis());
  r->options_ = options;
  std::string tmpl = (std::filesystem::temp_directory_path() / "daira-redis.XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return absl::InternalError("private redis: mkdtemp failed");
  r->dir_ = tmpl;
  r->port_ = FreePort();
  if (r->port_ == 0) return absl::InternalError("private redis: no free port");
  if (absl::Status s = r->Launch(); !s.ok()) return s;
  return r;
}

absl::Status PrivateRedis::Launch() {
  std::vector<std::string> args = {
      "redis-server",     "--port", std::to_string(port_), "--bind", "127.0.0.1",  "--dir",   dir_,
      "--save",           "",       "--daemonize",         "no",     "--loglevel", "warning", "--logfile",
      dir_ + "/redis.log"};
  if (options_.appendonly) {
    for (const char* a : {"--appendonly", "yes", "--appendfsync", "always"}) args.push_back(a);
  } else {
    for (const char* a : {"--appendonly", "no"}) args.push_back(a);
  }
  if (!options_.password.empty()) {
    args.push_back("--requirepass");
    args.push_back(options_.password);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawnp(&pid, "redis-server", nullptr, nullptr, argv.data(), environ) != 0) {
    return absl::InternalError("private redis: cannot spawn redis-server");
  }
  pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (Pings(port_, options_.password)) return absl::OkStatus();
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::InternalError(
          absl::StrCat("private redis: redis-server exited at start (see ", dir_, "/redis.log)"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // waiting for an external process to listen
  }
  (void)Kill();
  return absl::InternalError(absl::StrCat("private redis: no PONG on port ", port_, " within 10 s"));
}

std::string PrivateRedis::url() const {
  return options_.password.empty() ? absl::StrCat("redis://127.0.0.1:", port_, "/0")
                                   : absl::StrCat("redis://:", options_.password, "@127.0.0.1:", port_, "/0");
}

absl::Status PrivateRedis::Kill() {
  if (pid_ <= 0) return absl::OkStatus();
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return absl::OkStatus();
}

absl::Status PrivateRedis::Restart() {
  if (absl::Status s = Kill(); !s.ok()) return s;
  return Launch();
}

PrivateRedis::~PrivateRedis() {
  (void)Kill();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string RedisTestUrl() { return EnvOr("DAIRA_TEST_REDIS"); }

std::vector<std::string> RedisBackends() {
  std::vector<std::string> out = {"memory"};
  if (!RedisTestUrl().empty() || InCi()) out.push_back("redis");
  return out;
}

std::string UniqueRedisPrefix() {
  static std::atomic<int> counter{0};
  static const uint64_t salt = std::random_device{}();
  return absl::StrCat("daira-test:", getpid(), ":", counter.fetch_add(1), ":", salt % 1000000, ":");
}

}  // namespace daira::testing
