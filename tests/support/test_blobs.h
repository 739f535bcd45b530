// Blob stores under test, from the environment (header-only; see test_backends.h for the SQL side).
//
//   INSTANTIATE_TEST_SUITE_P(Blob, MyTest, ::testing::ValuesIn(daira::testing::BlobBackends()),
//                            daira::testing::BackendName());          // → MyTest/file, MyTest/s3
//   ASSERT_OK_AND_ASSIGN(auto t, daira::testing::TestBlobStore::Create(GetParam()));
//
// file: is always tested (a fresh temp directory). s3: is tested when DAIRA_TEST_S3 holds an endpoint
// (scripts/test starts moto_server and sets it, with DAIRA_TEST_S3_ACCESS_KEY/_SECRET_KEY); without it
// a banner says S3 is NOT covered, and with CI=true every s3 case fails instead (never a silent skip).
// Each s3 TestBlobStore gets a fresh bucket.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "daira/core/url.h"
#include "test_backends.h"

namespace daira::testing {

inline std::vector<std::string> BlobBackends() {
  static const std::vector<std::string> kBackends = [] {
    std::vector<std::string> out = {"file"};
    if (!EnvOr("DAIRA_TEST_S3").empty() || InCi()) {
      out.push_back("s3");
    } else {
      std::fprintf(stderr,
                   "*** DAIRA_TEST_S3 is not set: the s3: blob store is NOT covered by this run "
                   "(./scripts/test starts moto_server and sets it) ***\n");
    }
    return out;
  }();
  return kBackends;
}

inline std::string RandomBlobSuffix() {
  static std::mt19937_64 rng(std::random_device{}() ^ static_cast<uint64_t>(getpid()));
  return absl::StrCat(absl::Hex(rng(), absl::kZeroPad16));
}

struct TestBlobStore {
  std::string url;       // opens the store (file:DIR or s3://bucket?...)
  std::string dir;       // file: the root directory (removed by the destructor)
  std::string bucket;    // s3: the fresh bucket
  std::string endpoint;  // s3: DAIRA_TEST_S3

  // A URL for a fresh empty store on `backend`; `extra` ("k=v&k2=v2") is appended to an s3 URL.
  static absl::StatusOr<TestBlobStore> Create(std::string_view backend, std::string_view extra = "") {
    TestBlobStore t;
    if (backend == "file") {
      auto dir =
          std::filesystem::temp_directory_path() / "daira-tests" / absl::StrCat("blobs_", RandomBlobSuffix());
      std::filesystem::create_directories(dir);
      t.dir = dir.string();
      t.url = "file:" + t.dir;
      return t;
    }
    if (backend == "s3") {
      t.endpoint = EnvOr("DAIRA_TEST_S3");
      if (t.endpoint.empty()) {
        return absl::FailedPreconditionError(
            "DAIRA_TEST_S3 is not set but CI=true requires s3: blob coverage (run ./scripts/test)");
      }
      t.bucket = absl::StrCat("daira-test-", RandomBlobSuffix());
      t.url =
          absl::StrCat("s3://", t.bucket, "?endpoint=", PercentEncode(t.endpoint), "&region=us-east-1",
                       "&access_key=", PercentEncode(EnvOr("DAIRA_TEST_S3_ACCESS_KEY")),
                       "&secret_key=", PercentEncode(EnvOr("DAIRA_TEST_S3_SECRET_KEY")), "&create_bucket=1");
      if (!extra.empty()) absl::StrAppend(&t.url, "&", std::string(extra));
      return t;
    }
    return absl::InvalidArgumentError(absl::StrCat("unknown blob backend ", std::string(backend)));
  }

  TestBlobStore() = default;
  TestBlobStore(TestBlobStore&& o) noexcept
      : url(std::move(o.url)),
        dir(std::move(o.dir)),
        bucket(std::move(o.bucket)),
        endpoint(std::move(o.endpoint)) {
    o.dir.clear();
  }
  TestBlobStore& operator=(TestBlobStore&& o) noexcept {
    if (this != &o) {
      Remove();
      url = std::move(o.url);
      dir = std::move(o.dir);
      bucket = std::move(o.bucket);
      endpoint = std::move(o.endpoint);
      o.dir.clear();
    }
    return *this;
  }
  ~TestBlobStore() { Remove(); }

 private:
  void Remove() {
    if (!dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }
};

}  // namespace daira::testing
