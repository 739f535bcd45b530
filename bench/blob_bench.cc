// Media storage throughput: blob::Store put/get on file: and s3:, by object size.
//
// Cases (sizes 64 KiB, 1 MiB, 16 MiB; bytes_per_second is the figure):
//   file/put/<size>   FileStore::Put with fsync=0, and file_fsync/put with fsync=1 (the default)
//   file/get/<size>   FileStore::Get
//   s3/put/<size>, s3/get/<size>   the s3: store against DAIRA_BENCH_S3 or DAIRA_TEST_S3 (+ the
//                     _ACCESS_KEY/_SECRET_KEY variables scripts/lib/servers.sh exports); 16 MiB puts are
//                     multipart (8 MiB parts). Without an endpoint the s3 cases report an error.
// The file cases also run the raw baseline (open/write/rename, open/read of the same bytes, no daira)
// for the same number of iterations and report raw_ns and ratio_vs_raw (daira wall ns/op ÷ raw wall
// ns/op) as counters. There is no raw baseline for s3: the wire protocol needs a signer, and the only one
// here is daira's own; its figure is throughput against that server (moto is far slower than S3/MinIO, so
// take s3 figures against a MinIO on the same machine: DAIRA_BENCH_S3=http://127.0.0.1:9000 with keys).
//
//   ./build/release/bench/blob_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "daira/blob/store.h"
#include "daira/core/request_context.h"
#include "daira/core/url.h"

namespace {

using daira::RequestContext;
using daira::blob::Store;
namespace fs = std::filesystem;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

std::string Payload(int64_t n) {
  std::string s(static_cast<size_t>(n), '\0');
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(i * 31 + 7);
  return s;
}

fs::path BenchDir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / absl::StrCat("daira-blob-bench-", getpid());
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

// The raw baseline: what a store must do at least (write a temp file, rename it; read it back).
void RawPut(const fs::path& dir, const std::string& name, const std::string& data) {
  const std::string tmp = (dir / (name + ".tmp")).string();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) std::abort();
  if (::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) std::abort();
  ::close(fd);
  ::rename(tmp.c_str(), (dir / name).c_str());
}

std::string RawGet(const fs::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) std::abort();
  std::string out(static_cast<size_t>(fs::file_size(file)), '\0');
  if (::read(fd, out.data(), out.size()) != static_cast<ssize_t>(out.size())) std::abort();
  ::close(fd);
  return out;
}

double NsSince(std::chrono::steady_clock::time_point t0) {
  return static_cast<double>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
}

std::unique_ptr<Store> OpenOrDie(const std::string& url) {
  auto s = Store::Open(url);
  if (!s.ok()) return nullptr;
  return std::move(*s);
}

void BM_FilePut(benchmark::State& state, bool fsync) {
  const std::string data = Payload(state.range(0));
  const fs::path root = BenchDir() / (fsync ? "file-fsync" : "file");
  auto store = OpenOrDie(absl::StrCat("file:", root.string(), fsync ? "" : "?fsync=0"));
  RequestContext ctx;
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    auto r = store->Put(ctx, "bench/object.bin", data);
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
  }
  const double daira_ns = NsSince(t0);
  const fs::path raw_dir = BenchDir() / "raw";
  fs::create_directories(raw_dir);
  const auto t1 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < state.iterations(); ++i) RawPut(raw_dir, "object.bin", data);
  const double raw_ns = NsSince(t1);
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.counters["raw_ns"] = raw_ns / static_cast<double>(state.iterations());
  state.counters["ratio_vs_raw"] = raw_ns > 0 ? daira_ns / raw_ns : 0;
}

void BM_FileGet(benchmark::State& state) {
  const std::string data = Payload(state.range(0));
  const fs::path root = BenchDir() / "file";
  auto store = OpenOrDie(absl::StrCat("file:", root.string(), "?fsync=0"));
  RequestContext ctx;
  if (!store->Put(ctx, "bench/read.bin", data).ok()) state.SkipWithError("put failed");
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    auto r = store->Get(ctx, "bench/read.bin");
    if (!r.ok() || r->size() != data.size()) state.SkipWithError("get failed");
    benchmark::DoNotOptimize(r);
  }
  const double daira_ns = NsSince(t0);
  const fs::path file = root / "bench" / "read.bin";
  const auto t1 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < state.iterations(); ++i) benchmark::DoNotOptimize(RawGet(file));
  const double raw_ns = NsSince(t1);
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.counters["raw_ns"] = raw_ns / static_cast<double>(state.iterations());
  state.counters["ratio_vs_raw"] = raw_ns > 0 ? daira_ns / raw_ns : 0;
}

// A fresh bucket per process on the S3 endpoint, or null (the case reports why).
Store* S3Store(std::string* why) {
  static std::unique_ptr<Store> store;
  static std::string error;
  static bool tried = false;
  if (!tried) {
    tried = true;
    std::string endpoint = Env("DAIRA_BENCH_S3");
    std::string key = Env("DAIRA_BENCH_S3_ACCESS_KEY"), secret = Env("DAIRA_BENCH_S3_SECRET_KEY");
    if (endpoint.empty()) {
      endpoint = Env("DAIRA_TEST_S3");
      key = Env("DAIRA_TEST_S3_ACCESS_KEY");
      secret = Env("DAIRA_TEST_S3_SECRET_KEY");
    }
    if (endpoint.empty()) {
      error = "no S3 endpoint: set DAIRA_BENCH_S3 (+ _ACCESS_KEY, _SECRET_KEY) or DAIRA_TEST_S3";
    } else {
      auto s = Store::Open(absl::StrCat("s3://daira-bench-", getpid(),
                                        "?endpoint=", daira::PercentEncode(endpoint),
                                        "&access_key=", daira::PercentEncode(key),
                                        "&secret_key=", daira::PercentEncode(secret), "&create_bucket=1"));
      if (s.ok()) {
        store = std::move(*s);
      } else {
        error = s.status().ToString();
      }
    }
  }
  *why = error;
  return store.get();
}

void BM_S3Put(benchmark::State& state) {
  std::string why;
  Store* store = S3Store(&why);
  if (store == nullptr) {
    state.SkipWithError(why.c_str());
    return;
  }
  const std::string data = Payload(state.range(0));
  RequestContext ctx;
  for (auto _ : state) {
    auto r = store->Put(ctx, "bench/object.bin", data);
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_S3Get(benchmark::State& state) {
  std::string why;
  Store* store = S3Store(&why);
  if (store == nullptr) {
    state.SkipWithError(why.c_str());
    return;
  }
  const std::string data = Payload(state.range(0));
  RequestContext ctx;
  const std::string key = absl::StrCat("bench/read-", state.range(0), ".bin");
  if (!store->Put(ctx, key, data).ok()) state.SkipWithError("put failed");
  for (auto _ : state) {
    auto r = store->Get(ctx, key);
    if (!r.ok() || r->size() != data.size()) state.SkipWithError("get failed");
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

constexpr int64_t kKiB = 1024;
constexpr int64_t kMiB = 1024 * 1024;

BENCHMARK_CAPTURE(BM_FilePut, file, false)
    ->Name("file/put")
    ->Arg(64 * kKiB)
    ->Arg(kMiB)
    ->Arg(16 * kMiB)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_FilePut, file_fsync, true)
    ->Name("file_fsync/put")
    ->Arg(64 * kKiB)
    ->Arg(kMiB)
    ->Arg(16 * kMiB)
    ->UseRealTime();
BENCHMARK(BM_FileGet)->Name("file/get")->Arg(64 * kKiB)->Arg(kMiB)->Arg(16 * kMiB)->UseRealTime();
BENCHMARK(BM_S3Put)->Name("s3/put")->Arg(64 * kKiB)->Arg(kMiB)->Arg(16 * kMiB)->UseRealTime();
BENCHMARK(BM_S3Get)->Name("s3/get")->Arg(64 * kKiB)->Arg(kMiB)->Arg(16 * kMiB)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ec;
  fs::remove_all(BenchDir(), ec);
  return 0;
}
