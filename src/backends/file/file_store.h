// The `file:DIR` blob store: one regular file per object under DIR (docs/storage.md).
//
//   auto store = OpenFileStore(*ParseUrl("file:./daira-blobs?fsync=0"));
//
// Writes go to a temp file in the object's directory, are fsync'ed, then renamed over the target (and
// the directory fsync'ed), so a reader sees the old or the new object, never a part, and a crash never
// leaves a torn object. Every path is resolved below the root one directory at a time with O_NOFOLLOW:
// a symlink anywhere on the way is refused (InvalidArgument), so no key can reach outside the root.
//
// Thread-safety: the store is safe to use from any number of threads (and processes) at once.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "daira/blob/store.h"
#include "daira/core/url.h"

namespace daira::inline v0::backends {

struct FileStoreOptions {
  // The root directory; created (with parents) when missing. Required.
  std::string root;
  // fsync every written file and its directory before a Put returns (URL `fsync=0|1`). Default true:
  // a Put that returned survives a power loss.
  bool fsync = true;
};

absl::StatusOr<std::unique_ptr<blob::Store>> OpenFileStore(const FileStoreOptions& options);
// From `file:DIR[?fsync=0|1]`.
absl::StatusOr<std::unique_ptr<blob::Store>> OpenFileStore(const Url& url);

}  // namespace daira::inline v0::backends
