#include "daira/blob/store.h"

#include <string>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "backends/file/file_store.h"
#include "backends/s3/s3_store.h"
#include "core/cat_internal.h"
#include "daira/core/status.h"
#include "daira/core/url.h"

namespace daira::inline v0::blob {
namespace {


// A key as printed in messages: control bytes escaped, long keys cut.
std::string Printable(std::string_view key) {
  std::string out;
  for (char c : key.substr(0, 200)) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\') {
      out += Cat("\\x", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    } else {
      out.push_back(c);
    }
  }
  if (key.size() > 200) out += "...";
  return out;
}

}  // namespace

absl::Status ValidateKey(std::string_view op, std::string_view key) {
  auto bad = [&](std::string_view problem) {
    absl::Status s =
        absl::InvalidArgumentError(Cat(ToAbsl(op), ": key \"", Printable(key), "\" ", ToAbsl(problem)));
    s.SetPayload(ToAbsl(kFieldPayloadUrl), absl::Cord("key"));
    return s;
  };
  if (key.empty()) return bad("is empty");
  if (key.size() > kMaxKeyBytes)
    return bad(Cat("is longer than ", kMaxKeyBytes, " bytes (got ", key.size(), ")"));
  if (key.find('\0') != std::string_view::npos) return bad("contains a NUL byte");
  if (key.find('\\') != std::string_view::npos) return bad("contains a backslash");
  if (key.front() == '/') return bad("is an absolute path (must not start with '/')");
  size_t start = 0;
  while (true) {
    size_t slash = key.find('/', start);
    std::string_view seg =
        key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (seg == "..") return bad("has a '..' segment (keys may not leave the store)");
    if (seg == ".") return bad("has a '.' segment");
    if (seg.empty()) return bad("has an empty segment ('//' or a trailing '/')");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(std::string_view url_text) {
  // file:///abs/dir is the same as file:/abs/dir (ParseUrl would read "abs/dir" as the path).
  std::string text(url_text);
  if (text.rfind("file:///", 0) == 0) text = "file:/" + text.substr(8);
  DAIRA_ASSIGN_OR_RETURN(daira::Url url, ParseUrl(text));
  if (url.scheme == "file") return backends::OpenFileStore(url);
  if (url.scheme == "s3") return backends::OpenS3Store(url);
  return absl::InvalidArgumentError(
      Cat("blob store: open: scheme \"", url.scheme, "\" is not a blob backend (known: file, s3)"));
}

}  // namespace daira::inline v0::blob
