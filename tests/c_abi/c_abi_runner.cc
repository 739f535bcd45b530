// Runs a C ABI test program against an isolated database: creates one on `backend` the way the
// GoogleTest suites do (a temp SQLite file, or a fresh schema in DAIRA_TEST_PG), runs the command with
// the database URL appended as its last argument, then drops the database.
//
//   c_abi_runner sqlite|postgres <command> [args...]
//
// Exit: the command's status; 77 (ctest's SKIP_RETURN_CODE) when Postgres is not configured and CI is
// not set; 1 when the database cannot be made (with CI=true a missing DAIRA_TEST_PG fails).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "test_backends.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s sqlite|postgres <command> [args...]\n", argv[0]);
    return 2;
  }
  const std::string backend = argv[1];
  if (backend == "postgres" && daira::testing::EnvOr("DAIRA_TEST_PG").empty() && !daira::testing::InCi()) {
    std::fprintf(stderr, "DAIRA_TEST_PG is not set: skipping the Postgres run (./scripts/test sets it)\n");
    return 77;
  }
  auto db = daira::testing::TestDatabase::Create(backend);
  if (!db.ok()) {
    std::fprintf(stderr, "c_abi_runner: cannot make a %s test database: %s\n", backend.c_str(),
                 std::string(db.status().message()).c_str());
    return 1;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  args.push_back((*db)->url());
  std::vector<char*> cargs;
  for (std::string& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("fork");
    return 1;
  }
  if (pid == 0) {
    execvp(cargs[0], cargs.data());
    std::perror("execvp");
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) {
    std::perror("waitpid");
    return 1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  std::fprintf(stderr, "c_abi_runner: %s ended by signal %d\n", cargs[0], WTERMSIG(status));
  return 1;
}
