#include "backends/file/file_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "backends/s3/sigv4.h"
#include "core/cat_internal.h"
#include "daira/core/status.h"

namespace daira::inline v0::backends {
namespace {


// Temp files live beside their target under this reserved name prefix; keys may not use it.
constexpr std::string_view kTempPrefix = ".daira-tmp-";
constexpr size_t kCopyBuffer = 1 << 20;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

std::string Quoted(std::string_view s) { return Cat("\"", ToAbsl(s), "\""); }

absl::Status ErrnoStatus(int err, std::string_view what) {
  const std::string msg = Cat(ToAbsl(what), ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(msg);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(msg);
    case ENOSPC:
    case EDQUOT:
    case EMFILE:
    case ENFILE:
      return absl::ResourceExhaustedError(msg);
    case EISDIR:
    case EEXIST:
    case ENOTEMPTY:
      return absl::FailedPreconditionError(msg);
    default:
      return absl::InternalError(msg);
  }
}

// A MIME type from the key's extension (file: stores no metadata beside the bytes).
std::string ContentTypeFor(std::string_view key) {
  const size_t dot = key.rfind('.');
  const size_t slash = key.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return "application/octet-stream";
  }
  const std::string ext = absl::AsciiStrToLower(ToAbsl(key.substr(dot + 1)));
  static const std::pair<const char*, const char*> kTypes[] = {
      {"jpg", "image/jpeg"},       {"jpeg", "image/jpeg"},     {"png", "image/png"},
      {"gif", "image/gif"},        {"webp", "image/webp"},     {"avif", "image/avif"},
      {"heic", "image/heic"},      {"svg", "image/svg+xml"},   {"mp4", "video/mp4"},
      {"m4v", "video/mp4"},        {"mov", "video/quicktime"}, {"webm", "video/webm"},
      {"mkv", "video/x-matroska"}, {"ts", "video/mp2t"},       {"m3u8", "application/vnd.apple.mpegurl"},
      {"mp3", "audio/mpeg"},       {"m4a", "audio/mp4"},       {"aac", "audio/aac"},
      {"ogg", "audio/ogg"},        {"wav", "audio/wav"},       {"json", "application/json"},
      {"txt", "text/plain"},       {"html", "text/html"},      {"css", "text/css"},
      {"js", "text/javascript"},   {"pdf", "application/pdf"}, {"vtt", "text/vtt"},
  };
  for (const auto& [e, type] : kTypes) {
    if (ext == e) return type;
  }
  return "application/octet-stream";
}

blob::ObjectInfo InfoFromStat(std::string_view key, const struct stat& st) {
  blob::ObjectInfo info;
  info.key = std::string(key);
  info.size = st.st_size;
  info.content_type = ContentTypeFor(key);
  const int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  info.etag = Cat(absl::Hex(st.st_size), "-", absl::Hex(mtime_ns));
  info.modified = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(mtime_ns)));
  return info;
}

std::vector<std::string_view> Segments(std::string_view key) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t slash = key.find('/', start);
    out.push_back(
        key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

std::string TempName() {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return Cat(kTempPrefix, absl::Hex(rng(), absl::kZeroPad16), "-", counter.fetch_add(1));
}

absl::Status WriteAll(int fd, std::string_view data, std::string_view what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, what);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

class FileStore final : public blob::Store {
 public:
  FileStore(std::string root, bool fsync) : root_(std::move(root)), fsync_(fsync) {}

  std::string_view Name() const override { return "file"; }

  absl::StatusOr<blob::ObjectInfo> Put(const RequestContext& ctx, std::string_view key,
                                       std::string_view bytes, const blob::PutOptions& /*options*/) override {
    return WriteAtomic(ctx, "blob file: put", key, [&](int fd) {
      return WriteAll(fd, bytes, Cat("blob file: put: write ", Quoted(key)));
    });
  }

  absl::StatusOr<blob::ObjectInfo> PutFile(const RequestContext& ctx, std::string_view key,
                                           std::string_view path,
                                           const blob::PutOptions& /*options*/) override {
    constexpr std::string_view op = "blob file: put file";
    DAIRA_RETURN_IF_ERROR(CheckKey(op, key));
    Fd src(::open(std::string(path).c_str(), O_RDONLY | O_CLOEXEC));
    if (src.get() < 0) return ErrnoStatus(errno, Cat(op, ": path ", Quoted(path)));
    return WriteAtomic(ctx, op, key, [&](int fd) -> absl::Status {
      std::string buf(kCopyBuffer, '\0');
      while (true) {
        DAIRA_RETURN_IF_ERROR(ctx.CheckDeadline(op));
        ssize_t n = ::read(src.get(), buf.data(), buf.size());
        if (n < 0) {
          if (errno == EINTR) continue;
          return ErrnoStatus(errno, Cat(op, ": read ", Quoted(path)));
        }
        if (n == 0) return absl::OkStatus();
        DAIRA_RETURN_IF_ERROR(WriteAll(fd, std::string_view(buf.data(), static_cast<size_t>(n)),
                                       Cat(op, ": write ", Quoted(key))));
      }
    });
  }

  absl::StatusOr<std::string> Get(const RequestContext& ctx, std::string_view key) override {
    constexpr std::string_view op = "blob file: get";
    DAIRA_RETURN_IF_ERROR(ctx.CheckDeadline(op));
    struct stat st;
    DAIRA_ASSIGN_OR_RETURN(Fd fd, OpenObject(op, key, &st));
    std::string out(static_cast<size_t>(st.st_size), '\0');
    DAIRA_ASSIGN_OR_RETURN(size_t got, ReadAt(op, key, fd.get(), 0, out.data(), out.size()));
    out.resize(got);
    return out;
  }

  absl::StatusOr<std::string> GetRange(const RequestContext& ctx, std::string_view key, int64_t offset,
                                       int64_t length) override {
    constexpr std::string_view op = "blob file: get range";
    DAIRA_RETURN_IF_ERROR(CheckRange(op, offset, length));
    DAIRA_RETURN_IF_ERROR(ctx.CheckDeadline(op));
    struct stat st;
    DAIRA_ASSIGN_OR_RETURN(Fd fd, OpenObject(op, key, &st));
    if (offset >= st.st_size) {
      return absl::OutOfRangeError(Cat(op, ": offset ", offset, " is at or past the end of key ", Quoted(key),
                                       " (size ", st.st_size, ")"));
    }
    const int64_t n = std::min<int64_t>(length, st.st_size - offset);
    std::string out(static_cast<size_t>(n), '\0');
    DAIRA_ASSIGN_OR_RETURN(size_t got, ReadAt(op, key, fd.get(), offset, out.data(), out.size()));
    out.resize(got);
    return out;
  }

  absl::StatusOr<blob::ObjectInfo> Stat(const RequestContext& ctx, std::string_view key) override {
    constexpr std::string_view op = "blob file: stat";
    DAIRA_RETURN_IF_ERROR(ctx.CheckDeadline(op));
    struct stat st;
    DAIRA_ASSIGN_OR_RETURN(Fd fd, OpenObject(op, key, &st));
    return InfoFromStat(key, st);
  }

  absl::StatusOr<bool> Exists(const RequestContext& ctx, std::string_view key) override {
    auto info = Stat(ctx, key);
    if (info.ok()) return true;
    if (absl::IsNotFound(info.status())) return false;
    return info.status();
  }

  absl::Status Delete(const RequestContext& ctx, std::string_view key) override {
    constexpr std::string_view op = "blob file: delete";
    DAIRA_RETURN_IF_ERROR(CheckKey(op, key));
    DAIRA_RETURN_IF_ERROR(ctx.CheckDeadline(op));
    std::string name;
    auto dir = OpenParent(op, key, /*create=*/false, &name);
    if (!dir.ok()) return absl::IsNotFound(dir.status()) ? absl::OkStatus() : dir.status();
    struct stat st;
    if (::fstatat(dir->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return errno == ENOENT ? absl::OkStatus() : ErrnoStatus(errno, Cat(op, ": key ", Quoted(key)));
    }
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();  // a prefix of other keys, not an object
    if (::unlinkat(dir->get(), name.c_str(), 0) != 0 && errno != ENOENT) {
      return ErrnoStatus(errno, Cat(op, ": key ", Quoted(key)));
    }
    if (fsync_) ::fsync(dir->get());
    return absl::OkStatus();
  }

  absl::StatusOr<blob::ListPage> List(const RequestContext& ctx, std::string_view prefix,
                                      const blob::ListOptions& options) override {
    constexpr std::string_view op = "blob file: list";
    if (options.limit < 1 || options.limit > 1000) {
      return InvalidField(op, "limit", Cat("must be in 1..1000 (got ", options.limit, ")"));
    }
    if (prefix.find('\0') != std::string_view::npos) return InvalidField(op, "prefix", "contains a NUL byte");
    DAIRA_RETURN_IF_ERROR(ctx.CheckDeadline(op));
    // Walk only below the deepest directory the prefix names.
    const size_t slash = prefix.rfind('/');
    const std::string_view dir_part = slash == std::string_view::npos ? "" : prefix.substr(0, slash);
    Fd dir;
    if (dir_part.empty()) {
      auto opened = OpenRoot(op, /*create=*/false);
      if (!opened.ok()) {
        return absl::IsNotFound(opened.status()) ? absl::StatusOr<blob::ListPage>(blob::ListPage{})
                                                 : opened.status();
      }
      dir = std::move(*opened);
    } else {
      if (!blob::ValidateKey(op, dir_part).ok()) return blob::ListPage{};  // no valid key has this prefix
      std::string last;
      auto parent = OpenParent(op, Cat(ToAbsl(dir_part), "/x"), /*create=*/false, &last);
      if (!parent.ok())
        return absl::IsNotFound(parent.status()) ? absl::StatusOr<blob::ListPage>(blob::ListPage{})
                                                 : parent.status();
      dir = std::move(*parent);
    }
    std::vector<blob::ObjectInfo> found;
    DAIRA_RETURN_IF_ERROR(Walk(ctx, dir.get(), dir_part.empty() ? "" : Cat(ToAbsl(dir_part), "/"), prefix,
                               options.page_token, found));
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
    blob::ListPage page;
    if (found.size() > static_cast<size_t>(options.limit)) {
      found.resize(static_cast<size_t>(options.limit));
      page.next_token = found.back().key;
    }
    page.objects = std::move(found);
    return page;
  }

  absl::StatusOr<std::string> Url(const RequestContext& /*ctx*/, std::string_view key,
                                  std::chrono::seconds /*expiry*/) override {
    DAIRA_RETURN_IF_ERROR(CheckKey("blob file: url", key));
    return Cat("file://", s3::UriEncode(Cat(root_, "/", ToAbsl(key)), false));
  }

 private:
  static absl::Status CheckRange(std::string_view op, int64_t offset, int64_t length) {
    if (offset < 0) return InvalidField(op, "offset", Cat("must be >= 0 (got ", offset, ")"));
    if (length < 1) return InvalidField(op, "length", Cat("must be >= 1 (got ", length, ")"));
    return absl::OkStatus();
  }

  static absl::Status CheckKey(std::string_view op, std::string_view key) {
    DAIRA_RETURN_IF_ERROR(blob::ValidateKey(op, key));
    for (std::string_view seg : Segments(key)) {
      if (absl::StartsWith(ToAbsl(seg), ToAbsl(kTempPrefix))) {
        return InvalidField(op, "key",
                            Cat("\"", ToAbsl(key), "\" uses the reserved name prefix \"", kTempPrefix, "\""));
      }
    }
    return absl::OkStatus();
  }

  // The refusal for a symlink met on the way to `key`.
  static absl::Status SymlinkRefused(std::string_view op, std::string_view key, std::string_view seg) {
    return InvalidField(op, "key",
                        Cat(Quoted(key), " passes through the symbolic link ", Quoted(seg),
                            " (refused: it could lead outside the store's root)"));
  }

  // Opens the root directory; with `create`, makes it (and its parents) first when missing.
  absl::StatusOr<Fd> OpenRoot(std::string_view op, bool create) const {
    Fd dir(::open(root_.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
    if (dir.get() < 0 && errno == ENOENT && create) {
      std::error_code ec;
      std::filesystem::create_directories(root_, ec);
      if (ec)
        return absl::FailedPreconditionError(
            Cat(op, ": root ", Quoted(root_), " cannot be created: ", ec.message()));
      dir = Fd(::open(root_.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
    }
    if (dir.get() < 0) {
      if (errno == ENOENT)
        return absl::NotFoundError(Cat(op, ": root ", Quoted(root_), " does not exist yet"));
      return ErrnoStatus(errno, Cat(op, ": root ", Quoted(root_)));
    }
    return dir;
  }

  // Opens the directory that holds `key`'s file, one segment at a time without following symlinks;
  // `name` receives the last segment. With `create`, missing directories are made.
  absl::StatusOr<Fd> OpenParent(std::string_view op, std::string_view key, bool create,
                                std::string* name) const {
    const std::vector<std::string_view> segs = Segments(key);
    auto root = OpenRoot(op, create);
    if (!root.ok()) {
      if (absl::IsNotFound(root.status()))
        return absl::NotFoundError(Cat(op, ": key ", Quoted(key), " not found"));
      return root.status();
    }
    Fd dir = std::move(*root);
    for (size_t i = 0; i + 1 < segs.size(); ++i) {
      const std::string seg(segs[i]);
      for (int attempt = 0;; ++attempt) {
        int next = ::openat(dir.get(), seg.c_str(), O_DIRECTORY | O_NOFOLLOW | O_RDONLY | O_CLOEXEC);
        if (next >= 0) {
          dir = Fd(next);
          break;
        }
        const int err = errno;
        struct stat st;
        if (::fstatat(dir.get(), seg.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
          if (S_ISLNK(st.st_mode)) return SymlinkRefused(op, key, seg);
          if (!S_ISDIR(st.st_mode)) {
            if (!create) return absl::NotFoundError(Cat(op, ": key ", Quoted(key), " not found"));
            return absl::FailedPreconditionError(Cat(op, ": key ", Quoted(key), ": ", Quoted(seg),
                                                     " is an object, so it cannot also be a prefix"));
          }
        }
        if (err == ENOENT && create && attempt == 0) {
          if (::mkdirat(dir.get(), seg.c_str(), 0755) != 0 && errno != EEXIST) {
            return ErrnoStatus(errno, Cat(op, ": key ", Quoted(key), ": create directory ", Quoted(seg)));
          }
          continue;
        }
        if (err == ENOENT) return absl::NotFoundError(Cat(op, ": key ", Quoted(key), " not found"));
        return ErrnoStatus(err, Cat(op, ": key ", Quoted(key)));
      }
    }
    *name = std::string(segs.back());
    return dir;
  }

  // Opens `key`'s regular file for reading; `st` receives its stat.
  absl::StatusOr<Fd> OpenObject(std::string_view op, std::string_view key, struct stat* st) const {
    DAIRA_RETURN_IF_ERROR(CheckKey(op, key));
    std::string name;
    DAIRA_ASSIGN_OR_RETURN(Fd dir, OpenParent(op, key, /*create=*/false, &name));
    Fd fd(::openat(dir.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) {
      if (errno == ELOOP) return SymlinkRefused(op, key, name);
      if (errno == ENOENT) return absl::NotFoundError(Cat(op, ": key ", Quoted(key), " not found"));
      return ErrnoStatus(errno, Cat(op, ": key ", Quoted(key)));
    }
    if (::fstat(fd.get(), st) != 0) return ErrnoStatus(errno, Cat(op, ": key ", Quoted(key)));
    if (!S_ISREG(st->st_mode)) {
      return absl::NotFoundError(Cat(op, ": key ", Quoted(key), " not found (it is a prefix of other keys)"));
    }
    return fd;
  }

  static absl::StatusOr<size_t> ReadAt(std::string_view op, std::string_view key, int fd, int64_t offset,
                                       char* buf, size_t n) {
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd, buf + got, n - got, offset + static_cast<int64_t>(got));
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, Cat(op, ": read key ", Quoted(key)));
      }
      if (r == 0) break;  // the file shrank? (never with atomic writes; return what is there)
      got += static_cast<size_t>(r);
    }
    return got;
  }

  // Temp file + (fsync) + rename + (directory fsync): the object is replaced all at once.
  absl::StatusOr<blob::ObjectInfo> WriteAtomic(const RequestContext& ctx, std::string_view op,
                                               std::string_view key,
                                               const std::function<absl::Status(int)>& write_body) {
    DAIRA_RETURN_IF_ERROR(CheckKey(op, key));
    DAIRA_RETURN_IF_ERROR(ctx.CheckDeadline(op));
    std::string name;
    DAIRA_ASSIGN_OR_RETURN(Fd dir, OpenParent(op, key, /*create=*/true, &name));
    const std::string tmp = TempName();
    Fd fd(::openat(dir.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (fd.get() < 0) return ErrnoStatus(errno, Cat(op, ": key ", Quoted(key), ": create temp file"));
    auto fail = [&](absl::Status s) {
      ::unlinkat(dir.get(), tmp.c_str(), 0);
      return s;
    };
    absl::Status s = write_body(fd.get());
    if (!s.ok()) return fail(s);
    if (fsync_ && ::fsync(fd.get()) != 0) return fail(ErrnoStatus(errno, Cat(op, ": fsync ", Quoted(key))));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return fail(ErrnoStatus(errno, Cat(op, ": key ", Quoted(key))));
    fd.Reset();
    if (::renameat(dir.get(), tmp.c_str(), dir.get(), name.c_str()) != 0) {
      const int err = errno;
      if (err == EISDIR || err == ENOTEMPTY || err == EEXIST) {
        return fail(absl::FailedPreconditionError(
            Cat(op, ": key ", Quoted(key), " is a prefix of other keys, so it cannot also be an object")));
      }
      return fail(ErrnoStatus(err, Cat(op, ": key ", Quoted(key), ": rename")));
    }
    if (fsync_) ::fsync(dir.get());
    return InfoFromStat(key, st);
  }

  // Collects the regular files below `dirfd` (whose keys start with `rel`) that match `prefix` and
  // sort after `after`. Symlinks and temp files are skipped, never followed.
  absl::Status Walk(const RequestContext& ctx, int dirfd, const std::string& rel, std::string_view prefix,
                    std::string_view after, std::vector<blob::ObjectInfo>& out) const {
    DAIRA_RETURN_IF_ERROR(ctx.CheckDeadline("blob file: list"));
    int dup_fd = ::dup(dirfd);
    if (dup_fd < 0) return ErrnoStatus(errno, "blob file: list");
    DIR* d = ::fdopendir(dup_fd);
    if (d == nullptr) {
      ::close(dup_fd);
      return ErrnoStatus(errno, "blob file: list");
    }
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      std::string_view n = e->d_name;
      if (n == "." || n == ".." || absl::StartsWith(ToAbsl(n), ToAbsl(kTempPrefix))) continue;
      names.emplace_back(n);
    }
    ::closedir(d);
    for (const std::string& n : names) {
      const std::string key = rel + n;
      struct stat st;
      if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // removed meanwhile
      if (S_ISDIR(st.st_mode)) {
        const std::string sub = key + "/";
        // Descend only where keys can still match the prefix.
        if (!absl::StartsWith(ToAbsl(sub), ToAbsl(prefix)) && !absl::StartsWith(ToAbsl(prefix), sub))
          continue;
        Fd child(::openat(dirfd, n.c_str(), O_DIRECTORY | O_NOFOLLOW | O_RDONLY | O_CLOEXEC));
        if (child.get() < 0) continue;
        DAIRA_RETURN_IF_ERROR(Walk(ctx, child.get(), sub, prefix, after, out));
      } else if (S_ISREG(st.st_mode)) {
        if (!absl::StartsWith(key, ToAbsl(prefix))) continue;
        if (!after.empty() && key <= after) continue;
        out.push_back(InfoFromStat(key, st));
      }
    }
    return absl::OkStatus();
  }

  const std::string root_;
  const bool fsync_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<blob::Store>> OpenFileStore(const FileStoreOptions& options) {
  constexpr std::string_view op = "blob file: open";
  if (options.root.empty()) return InvalidField(op, "root", "is empty (expected file:DIR)");
  std::error_code ec;
  std::filesystem::path root = std::filesystem::absolute(options.root, ec).lexically_normal();
  if (ec) return absl::FailedPreconditionError(Cat(op, ": root ", Quoted(options.root), ": ", ec.message()));
  if (std::filesystem::exists(root, ec)) {
    // An existing root: must be a directory; symlinks in the root's own path are the operator's choice.
    root = std::filesystem::canonical(root, ec);
    if (ec || !std::filesystem::is_directory(root)) {
      return absl::FailedPreconditionError(Cat(op, ": root ", Quoted(options.root), " is not a directory"));
    }
  }
  // A missing root is created by the first Put (opening a platform never litters the working directory).
  std::string text = root.string();
  while (text.size() > 1 && text.back() == '/') text.pop_back();
  return std::make_unique<FileStore>(std::move(text), options.fsync);
}

absl::StatusOr<std::unique_ptr<blob::Store>> OpenFileStore(const Url& url) {
  constexpr std::string_view op = "blob file: open";
  FileStoreOptions options;
  options.root = url.path;  // file:DIR (blob::Store::Open maps file:///DIR to file:/DIR)
  if (!url.host.empty()) {
    return InvalidField(op, "url", Cat("names a host (", url.host, "); expected file:DIR or file:///DIR"));
  }
  for (const auto& [k, v] : url.params) {
    if (k == "fsync") {
      if (v == "1" || v == "true") {
        options.fsync = true;
      } else if (v == "0" || v == "false") {
        options.fsync = false;
      } else {
        return InvalidField(op, "fsync", Cat("must be 0 or 1 (got ", v, ")"));
      }
    } else {
      return InvalidField(op, k, "is not a file: option (known: fsync)");
    }
  }
  return OpenFileStore(options);
}

}  // namespace daira::inline v0::backends
