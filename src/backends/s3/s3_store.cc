#include "backends/s3/s3_store.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "backends/s3/sigv4.h"
#include "core/cat_internal.h"
#include "daira/core/status.h"

namespace daira::inline v0::backends {
namespace {


using s3::Credentials;

constexpr int64_t kMinPartSize = int64_t{5} << 20;
constexpr int64_t kMaxPartSize = int64_t{5} << 30;
constexpr int kMaxParts = 10000;
constexpr int64_t kMaxPresignSeconds = 7 * 24 * 3600;

std::string Quoted(std::string_view s) { return Cat("\"", ToAbsl(s), "\""); }

struct HttpResponse {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case

  std::string Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return "";
  }
};

size_t OnBody(char* p, size_t size, size_t n, void* ud) {
  static_cast<std::string*>(ud)->append(p, size * n);
  return size * n;
}

size_t OnHeader(char* p, size_t size, size_t n, void* ud) {
  std::string_view line(p, size * n);
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name = absl::AsciiStrToLower(ToAbsl(line.substr(0, colon)));
    std::string value(absl::StripAsciiWhitespace(ToAbsl(line.substr(colon + 1))));
    static_cast<HttpResponse*>(ud)->headers.emplace_back(std::move(name), std::move(value));
  } else if (absl::StartsWith(ToAbsl(line), "HTTP/")) {
    static_cast<HttpResponse*>(ud)->headers.clear();  // a new response (after a 100 Continue)
  }
  return size * n;
}

std::string XmlUnescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    const size_t semi = s.find(';', i);
    if (semi == std::string_view::npos) {
      out.push_back(s[i]);
      continue;
    }
    std::string_view ent = s.substr(i + 1, semi - i - 1);
    if (ent == "amp")
      out.push_back('&');
    else if (ent == "lt")
      out.push_back('<');
    else if (ent == "gt")
      out.push_back('>');
    else if (ent == "quot")
      out.push_back('"');
    else if (ent == "apos")
      out.push_back('\'');
    else if (!ent.empty() && ent[0] == '#') {
      unsigned long cp = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X')
                             ? std::strtoul(std::string(ent.substr(2)).c_str(), nullptr, 16)
                             : std::strtoul(std::string(ent.substr(1)).c_str(), nullptr, 10);
      if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
      } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      }
    } else {
      out.append(s.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// The text of the first <tag>…</tag> in `xml` at or after `from`, unescaped; "" when absent.
std::string XmlValue(std::string_view xml, std::string_view tag, size_t from = 0) {
  const std::string open = Cat("<", ToAbsl(tag), ">");
  const std::string close = Cat("</", ToAbsl(tag), ">");
  const size_t a = xml.find(open, from);
  if (a == std::string_view::npos) return "";
  const size_t b = xml.find(close, a + open.size());
  if (b == std::string_view::npos) return "";
  return XmlUnescape(xml.substr(a + open.size(), b - a - open.size()));
}

std::string StripQuotes(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

std::chrono::system_clock::time_point FromTm(std::tm tm) {
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

// "2024-05-01T12:00:00.000Z" (listings).
std::chrono::system_clock::time_point ParseIso8601(const std::string& s) {
  std::tm tm{};
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec) != 6) {
    return {};
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return FromTm(tm);
}

// "Wed, 01 May 2024 12:00:00 GMT" (Last-Modified).
std::chrono::system_clock::time_point ParseHttpDate(const std::string& s) {
  std::tm tm{};
  if (strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S", &tm) == nullptr) return {};
  return FromTm(tm);
}

absl::StatusOr<bool> ParseBool(std::string_view name, std::string_view v) {
  if (v == "1" || v == "true") return true;
  if (v == "0" || v == "false") return false;
  return InvalidField("blob s3: open", name, Cat("must be 0 or 1 (got ", ToAbsl(v), ")"));
}

absl::StatusOr<int64_t> ParseInt(std::string_view name, std::string_view v) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(ToAbsl(v), &n) || n < 0) {
    return InvalidField("blob s3: open", name, Cat("must be a non-negative integer (got ", ToAbsl(v), ")"));
  }
  return n;
}

class S3Store final : public blob::Store {
 public:
  S3Store(S3StoreOptions options, std::string base_url, std::string host)
      : o_(std::move(options)),
        base_url_(std::move(base_url)),
        host_(std::move(host)),
        creds_{o_.access_key, o_.secret_key, o_.session_token} {}

  ~S3Store() override {
    for (CURL* c : idle_) curl_easy_cleanup(c);
  }

  std::string_view Name() const override { return "s3"; }

  absl::Status CreateBucketIfMissing() {
    RequestContext ctx;
    constexpr std::string_view op = "blob s3: open: create bucket";
    std::string body;
    if (o_.region != "us-east-1" && o_.region != "auto") {
      body = Cat(
          "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>",
          XmlEscape(o_.region), "</LocationConstraint></CreateBucketConfiguration>");
    }
    DAIRA_ASSIGN_OR_RETURN(HttpResponse r,
                           Send(ctx, op, {.method = "PUT", .bucket_only = true, .body = body}));
    if (r.status == 200) return absl::OkStatus();
    if (r.status == 409) {  // it exists: fine if it is ours
      DAIRA_ASSIGN_OR_RETURN(HttpResponse h, Send(ctx, op, {.method = "HEAD", .bucket_only = true}));
      if (h.status == 200) return absl::OkStatus();
    }
    return ErrorFor(op, "", r);
  }

  absl::StatusOr<blob::ObjectInfo> Put(const RequestContext& ctx, std::string_view key,
                                       std::string_view bytes, const blob::PutOptions& options) override {
    constexpr std::string_view op = "blob s3: put";
    DAIRA_RETURN_IF_ERROR(blob::ValidateKey(op, key));
    if (static_cast<int64_t>(bytes.size()) >= o_.multipart_threshold) {
      return Multipart(ctx, op, key, options, static_cast<int64_t>(bytes.size()),
                       [&](int64_t offset, int64_t n, std::string& buf) -> absl::StatusOr<std::string_view> {
                         (void)buf;
                         return bytes.substr(static_cast<size_t>(offset), static_cast<size_t>(n));
                       });
    }
    return PutSingle(ctx, op, key, bytes, options);
  }

  absl::StatusOr<blob::ObjectInfo> PutFile(const RequestContext& ctx, std::string_view key,
                                           std::string_view path, const blob::PutOptions& options) override {
    constexpr std::string_view op = "blob s3: put file";
    DAIRA_RETURN_IF_ERROR(blob::ValidateKey(op, key));
    const int fd = ::open(std::string(path).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      const std::string msg = Cat(op, ": path ", Quoted(path), ": ", std::strerror(err));
      return err == ENOENT ? absl::NotFoundError(msg) : absl::FailedPreconditionError(msg);
    }
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      return absl::FailedPreconditionError(Cat(op, ": path ", Quoted(path), " is not a regular file"));
    }
    auto read_chunk = [&](int64_t offset, int64_t n, std::string& buf) -> absl::StatusOr<std::string_view> {
      buf.resize(static_cast<size_t>(n));
      size_t got = 0;
      while (got < buf.size()) {
        ssize_t r = ::pread(fd, buf.data() + got, buf.size() - got, offset + static_cast<int64_t>(got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
          return absl::FailedPreconditionError(
              Cat(op, ": path ", Quoted(path), ": read failed or the file shrank while uploading"));
        }
        got += static_cast<size_t>(r);
      }
      return std::string_view(buf);
    };
    if (st.st_size >= o_.multipart_threshold) return Multipart(ctx, op, key, options, st.st_size, read_chunk);
    std::string buf;
    DAIRA_ASSIGN_OR_RETURN(std::string_view bytes, read_chunk(0, st.st_size, buf));
    return PutSingle(ctx, op, key, bytes, options);
  }

  absl::StatusOr<std::string> Get(const RequestContext& ctx, std::string_view key) override {
    constexpr std::string_view op = "blob s3: get";
    DAIRA_RETURN_IF_ERROR(blob::ValidateKey(op, key));
    DAIRA_ASSIGN_OR_RETURN(HttpResponse r, Send(ctx, op, {.method = "GET", .key = std::string(key)}));
    if (r.status != 200) return ErrorFor(op, key, r);
    return std::move(r.body);
  }

  absl::StatusOr<std::string> GetRange(const RequestContext& ctx, std::string_view key, int64_t offset,
                                       int64_t length) override {
    constexpr std::string_view op = "blob s3: get range";
    DAIRA_RETURN_IF_ERROR(blob::ValidateKey(op, key));
    if (offset < 0) return InvalidField(op, "offset", Cat("must be >= 0 (got ", offset, ")"));
    if (length < 1) return InvalidField(op, "length", Cat("must be >= 1 (got ", length, ")"));
    const int64_t last = length > INT64_MAX - offset ? INT64_MAX : offset + length - 1;
    DAIRA_ASSIGN_OR_RETURN(HttpResponse r, Send(ctx, op,
                                                {.method = "GET",
                                                 .key = std::string(key),
                                                 .headers = {{"range", Cat("bytes=", offset, "-", last)}}}));
    if (r.status == 206) return std::move(r.body);
    if (r.status == 200) {  // a store that ignored the range: cut it here
      if (offset >= static_cast<int64_t>(r.body.size())) return OutOfRange(op, key, offset);
      return r.body.substr(static_cast<size_t>(offset), static_cast<size_t>(length));
    }
    if (r.status == 416) return OutOfRange(op, key, offset);
    return ErrorFor(op, key, r);
  }

  absl::StatusOr<blob::ObjectInfo> Stat(const RequestContext& ctx, std::string_view key) override {
    constexpr std::string_view op = "blob s3: stat";
    DAIRA_RETURN_IF_ERROR(blob::ValidateKey(op, key));
    DAIRA_ASSIGN_OR_RETURN(HttpResponse r, Send(ctx, op, {.method = "HEAD", .key = std::string(key)}));
    if (r.status != 200) return ErrorFor(op, key, r);
    blob::ObjectInfo info;
    info.key = std::string(key);
    int64_t size = 0;
    (void)absl::SimpleAtoi(r.Header("content-length"), &size);
    info.size = size;
    info.content_type = r.Header("content-type");
    info.etag = StripQuotes(r.Header("etag"));
    info.modified = ParseHttpDate(r.Header("last-modified"));
    return info;
  }

  absl::StatusOr<bool> Exists(const RequestContext& ctx, std::string_view key) override {
    auto info = Stat(ctx, key);
    if (info.ok()) return true;
    if (absl::IsNotFound(info.status()) &&
        !absl::StrContains(info.status().message(), "bucket \"" + o_.bucket + "\" does not exist")) {
      return false;
    }
    return info.status();
  }

  absl::Status Delete(const RequestContext& ctx, std::string_view key) override {
    constexpr std::string_view op = "blob s3: delete";
    DAIRA_RETURN_IF_ERROR(blob::ValidateKey(op, key));
    DAIRA_ASSIGN_OR_RETURN(HttpResponse r, Send(ctx, op, {.method = "DELETE", .key = std::string(key)}));
    if (r.status == 204 || r.status == 200) return absl::OkStatus();
    if (r.status == 404 && XmlValue(r.body, "Code") == "NoSuchKey") return absl::OkStatus();
    return ErrorFor(op, key, r);
  }

  absl::StatusOr<blob::ListPage> List(const RequestContext& ctx, std::string_view prefix,
                                      const blob::ListOptions& options) override {
    constexpr std::string_view op = "blob s3: list";
    if (options.limit < 1 || options.limit > 1000) {
      return InvalidField(op, "limit", Cat("must be in 1..1000 (got ", options.limit, ")"));
    }
    if (prefix.find('\0') != std::string_view::npos) return InvalidField(op, "prefix", "contains a NUL byte");
    Request req{.method = "GET", .bucket_only = true};
    req.query = {
        {"list-type", "2"}, {"max-keys", Cat(options.limit)}, {"prefix", Cat(o_.prefix, ToAbsl(prefix))}};
    if (!options.page_token.empty()) req.query.emplace_back("start-after", o_.prefix + options.page_token);
    DAIRA_ASSIGN_OR_RETURN(HttpResponse r, Send(ctx, op, req));
    if (r.status != 200) return ErrorFor(op, "", r);
    blob::ListPage page;
    size_t pos = 0;
    while ((pos = r.body.find("<Contents>", pos)) != std::string::npos) {
      const size_t end = r.body.find("</Contents>", pos);
      if (end == std::string::npos) break;
      std::string_view item(r.body.data() + pos, end - pos);
      blob::ObjectInfo info;
      info.key = XmlValue(item, "Key");
      if (absl::StartsWith(info.key, o_.prefix)) info.key.erase(0, o_.prefix.size());
      int64_t size = 0;
      (void)absl::SimpleAtoi(XmlValue(item, "Size"), &size);
      info.size = size;
      info.etag = StripQuotes(XmlValue(item, "ETag"));
      info.modified = ParseIso8601(XmlValue(item, "LastModified"));
      page.objects.push_back(std::move(info));
      pos = end;
    }
    if (XmlValue(r.body, "IsTruncated") == "true" && !page.objects.empty())
      page.next_token = page.objects.back().key;
    return page;
  }

  absl::StatusOr<std::string> Url(const RequestContext& /*ctx*/, std::string_view key,
                                  std::chrono::seconds expiry) override {
    constexpr std::string_view op = "blob s3: url";
    DAIRA_RETURN_IF_ERROR(blob::ValidateKey(op, key));
    if (expiry.count() < 1 || expiry.count() > kMaxPresignSeconds) {
      return InvalidField(
          op, "expiry", Cat("must be 1 s..7 days (", kMaxPresignSeconds, " s) (got ", expiry.count(), " s)"));
    }
    const std::string path = ObjectPath(key);
    return Cat(base_url_, path, "?",
               s3::PresignQuery(creds_, s3::AmzDate(std::chrono::system_clock::now()), o_.region, "s3", "GET",
                                path, host_, expiry.count()));
  }

 private:
  struct Request {
    std::string method{};
    std::string key{};         // "" with bucket_only
    bool bucket_only = false;  // the bucket itself (create, list)
    std::vector<std::pair<std::string, std::string>> query{};
    std::vector<std::pair<std::string, std::string>> headers{};  // signed along
    std::string_view body{};
  };

  std::string ObjectPath(std::string_view key) const {
    return Cat("/", s3::UriEncode(o_.bucket, true), "/", s3::UriEncode(o_.prefix + std::string(key), false));
  }

  // What a message names: the key in its bucket, or the bucket.
  std::string What(std::string_view key) const {
    if (key.empty()) return Cat("bucket ", Quoted(o_.bucket));
    return Cat("key ", Quoted(key), " in bucket ", Quoted(o_.bucket));
  }

  absl::Status OutOfRange(std::string_view op, std::string_view key, int64_t offset) const {
    return absl::OutOfRangeError(Cat(op, ": offset ", offset, " is at or past the end of ", What(key)));
  }

  absl::Status ErrorFor(std::string_view op, std::string_view key, const HttpResponse& r) const {
    const std::string code = XmlValue(r.body, "Code");
    const std::string detail = code.empty() ? Cat("HTTP ", r.status) : Cat(code, ", HTTP ", r.status);
    if (code == "NoSuchBucket") {
      return absl::NotFoundError(Cat(op, ": bucket ", Quoted(o_.bucket), " does not exist (", detail, ")"));
    }
    if (r.status == 404 || code == "NoSuchKey") {
      return absl::NotFoundError(Cat(op, ": ", What(key), " not found"));
    }
    if (code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId" || code == "InvalidToken" ||
        code == "ExpiredToken" || code == "AuthorizationHeaderMalformed" || code == "InvalidClientTokenId") {
      return absl::UnauthenticatedError(Cat(op, ": ", What(key), ": the store refused the credentials (",
                                            detail, "): check access_key and secret_key",
                                            creds_.session_token.empty() ? "" : " (and session_token)"));
    }
    if (r.status == 403) {
      return absl::PermissionDeniedError(
          Cat(op, ": ", What(key), ": access denied (", detail,
              code.empty() ? "; a HEAD answer has no body: wrong credentials look the same)" : ")"));
    }
    if (r.status == 416) return absl::OutOfRangeError(Cat(op, ": ", What(key), ": range not satisfiable"));
    if (r.status == 409)
      return absl::FailedPreconditionError(Cat(op, ": ", What(key), ": conflict (", detail, ")"));
    if (r.status == 400)
      return absl::InvalidArgumentError(Cat(op, ": ", What(key), ": refused (", detail, ")"));
    if (r.status >= 500)
      return absl::UnavailableError(Cat(op, ": ", What(key), ": the store failed (", detail, ")"));
    return absl::UnknownError(Cat(op, ": ", What(key), ": unexpected answer (", detail, ")"));
  }

  CURL* Acquire() {
    {
      absl::MutexLock lock(&mu_);
      if (!idle_.empty()) {
        CURL* c = idle_.back();
        idle_.pop_back();
        return c;
      }
    }
    return curl_easy_init();
  }

  void Release(CURL* c) {
    absl::MutexLock lock(&mu_);
    if (idle_.size() < 16) {
      idle_.push_back(c);
      return;
    }
    curl_easy_cleanup(c);
  }

  absl::StatusOr<HttpResponse> Send(const RequestContext& ctx, std::string_view op, const Request& req) {
    const std::string_view key = req.key;
    // Time left: the store's per-request limit, cut by the request's deadline.
    auto limit = o_.timeout;
    if (auto deadline = ctx.deadline()) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return absl::DeadlineExceededError(Cat(op, ": ", What(key), ": deadline passed"));
      limit = std::min(limit, left);
    }
    const std::string path = req.bucket_only ? Cat("/", s3::UriEncode(o_.bucket, true)) : ObjectPath(key);
    const std::string amz_date = s3::AmzDate(std::chrono::system_clock::now());
    s3::SigningRequest sr;
    sr.method = req.method;
    sr.canonical_uri = path;
    sr.query = req.query;
    sr.payload_hash = s3::Sha256Hex(req.body);
    sr.headers = {{"host", host_}, {"x-amz-content-sha256", sr.payload_hash}, {"x-amz-date", amz_date}};
    if (!creds_.session_token.empty()) sr.headers.emplace_back("x-amz-security-token", creds_.session_token);
    for (const auto& h : req.headers) sr.headers.push_back(h);
    const std::string authorization = s3::AuthorizationHeader(creds_, amz_date, o_.region, "s3", sr);

    std::string url = base_url_ + path;
    if (!req.query.empty()) absl::StrAppend(&url, "?", s3::CanonicalQuery(req.query));

    curl_slist* headers = nullptr;
    bool has_content_type = false;
    for (const auto& [k, v] : sr.headers) {
      if (absl::EqualsIgnoreCase(k, "content-type")) has_content_type = true;
      headers = curl_slist_append(headers, Cat(k, ": ", v).c_str());
    }
    headers = curl_slist_append(headers, Cat("authorization: ", authorization).c_str());
    headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
    if (!has_content_type) headers = curl_slist_append(headers, "Content-Type:");  // no form default
    struct ListFree {
      curl_slist* l;
      ~ListFree() { curl_slist_free_all(l); }
    } list_free{headers};

    CURL* c = Acquire();
    if (c == nullptr) return absl::ResourceExhaustedError(Cat(op, ": cannot create a curl handle"));
    curl_easy_reset(c);
    HttpResponse resp;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<int64_t>(1, limit.count())));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::max<int64_t>(1, std::min(o_.connect_timeout, limit).count())));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp.body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp);
    if (req.method == "HEAD") {
      curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (req.method == "GET") {
      curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
      if (req.method == "PUT" || req.method == "POST") {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.empty() ? "" : req.body.data());
      }
    }
    const CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
    Release(c);
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      return absl::DeadlineExceededError(
          Cat(op, ": ", What(key), ": no answer from ", base_url_, " within ", limit.count(), " ms"));
    }
    if (rc != CURLE_OK) {
      return absl::UnavailableError(
          Cat(op, ": ", What(key), ": cannot reach ", base_url_, " (", curl_easy_strerror(rc), ")"));
    }
    return resp;
  }

  absl::StatusOr<blob::ObjectInfo> PutSingle(const RequestContext& ctx, std::string_view op,
                                             std::string_view key, std::string_view bytes,
                                             const blob::PutOptions& options) {
    DAIRA_ASSIGN_OR_RETURN(HttpResponse r, Send(ctx, op,
                                                {.method = "PUT",
                                                 .key = std::string(key),
                                                 .headers = {{"content-type", options.content_type}},
                                                 .body = bytes}));
    if (r.status != 200) return ErrorFor(op, key, r);
    return blob::ObjectInfo{.key = std::string(key),
                            .size = static_cast<int64_t>(bytes.size()),
                            .content_type = options.content_type,
                            .etag = StripQuotes(r.Header("etag")),
                            .modified = std::chrono::system_clock::now()};
  }

  using ChunkReader =
      std::function<absl::StatusOr<std::string_view>(int64_t offset, int64_t n, std::string& buf)>;

  // Create, upload every part, complete; abort on any failure so no parts linger (and bill).
  absl::StatusOr<blob::ObjectInfo> Multipart(const RequestContext& ctx, std::string_view op,
                                             std::string_view key, const blob::PutOptions& options,
                                             int64_t total, const ChunkReader& read) {
    int64_t part_size = o_.part_size;
    while ((total + part_size - 1) / part_size > kMaxParts) part_size *= 2;
    DAIRA_ASSIGN_OR_RETURN(HttpResponse created, Send(ctx, op,
                                                      {.method = "POST",
                                                       .key = std::string(key),
                                                       .query = {{"uploads", ""}},
                                                       .headers = {{"content-type", options.content_type}}}));
    if (created.status != 200) return ErrorFor(op, key, created);
    const std::string upload_id = XmlValue(created.body, "UploadId");
    if (upload_id.empty()) {
      return absl::UnknownError(
          Cat(op, ": ", What(key), ": the store started a multipart upload without an UploadId"));
    }
    auto abort = [&](absl::Status s) {
      RequestContext cleanup;  // not the caller's (possibly expired) deadline; the store's timeout bounds it
      (void)Send(cleanup, op,
                 {.method = "DELETE", .key = std::string(key), .query = {{"uploadId", upload_id}}});
      return s;
    };
    std::string complete = "<CompleteMultipartUpload>";
    std::string buf;
    int part = 1;
    for (int64_t offset = 0; offset < total; offset += part_size, ++part) {
      const int64_t n = std::min(part_size, total - offset);
      auto chunk = read(offset, n, buf);
      if (!chunk.ok()) return abort(chunk.status());
      auto r = Send(ctx, op,
                    {.method = "PUT",
                     .key = std::string(key),
                     .query = {{"partNumber", Cat(part)}, {"uploadId", upload_id}},
                     .body = *chunk});
      if (!r.ok()) return abort(r.status());
      if (r->status != 200) return abort(ErrorFor(op, key, *r));
      absl::StrAppend(&complete, "<Part><PartNumber>", part, "</PartNumber><ETag>",
                      XmlEscape(r->Header("etag")), "</ETag></Part>");
    }
    complete += "</CompleteMultipartUpload>";
    auto done = Send(ctx, op,
                     {.method = "POST",
                      .key = std::string(key),
                      .query = {{"uploadId", upload_id}},
                      .headers = {{"content-type", "application/xml"}},
                      .body = complete});
    if (!done.ok()) return abort(done.status());
    // S3 may answer 200 and still report an error in the body.
    if (done->status != 200 || done->body.find("<Error>") != std::string::npos)
      return abort(ErrorFor(op, key, *done));
    return blob::ObjectInfo{.key = std::string(key),
                            .size = total,
                            .content_type = options.content_type,
                            .etag = StripQuotes(XmlValue(done->body, "ETag")),
                            .modified = std::chrono::system_clock::now()};
  }

  const S3StoreOptions o_;
  const std::string base_url_;  // scheme://host[:port]
  const std::string host_;      // host[:port], as signed
  const Credentials creds_;
  absl::Mutex mu_;
  std::vector<CURL*> idle_;  // guarded by mu_
};

}  // namespace

absl::StatusOr<std::unique_ptr<blob::Store>> OpenS3Store(const S3StoreOptions& options_in) {
  constexpr std::string_view op = "blob s3: open";
  static std::once_flag curl_once;
  std::call_once(curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  S3StoreOptions o = options_in;
  if (o.bucket.size() < 3 || o.bucket.size() > 63) {
    return InvalidField(op, "bucket", Cat("must be 3..63 characters (got ", Quoted(o.bucket), ")"));
  }
  for (char c : o.bucket) {
    if (!(absl::ascii_islower(static_cast<unsigned char>(c)) ||
          absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.')) {
      return InvalidField(op, "bucket",
                          Cat("may hold only a-z, 0-9, '-' and '.' (got ", Quoted(o.bucket), ")"));
    }
  }
  if (!o.prefix.empty() && o.prefix.back() != '/') o.prefix.push_back('/');
  if (o.region.empty()) return InvalidField(op, "region", "is empty");
  if (o.access_key.empty() != o.secret_key.empty()) {
    return InvalidField(
        op, o.access_key.empty() ? "access_key" : "secret_key",
        "is missing (give both access_key and secret_key, or neither to use the environment)");
  }
  if (o.access_key.empty() && !o.session_token.empty()) {
    return InvalidField(op, "session_token",
                        "needs access_key and secret_key in the URL too (with keys from the environment, "
                        "set AWS_SESSION_TOKEN instead)");
  }
  if (o.access_key.empty()) {
    const char* id = std::getenv("AWS_ACCESS_KEY_ID");
    const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
    if (id == nullptr || secret == nullptr || *id == '\0' || *secret == '\0') {
      return InvalidField(
          op, "access_key",
          "no credentials: set access_key and secret_key in the URL, or AWS_ACCESS_KEY_ID and "
          "AWS_SECRET_ACCESS_KEY in the environment");
    }
    o.access_key = id;
    o.secret_key = secret;
    const char* token = std::getenv("AWS_SESSION_TOKEN");
    if (token != nullptr) o.session_token = token;  // temporary credentials (STS)
  }
  if (o.part_size < kMinPartSize || o.part_size > kMaxPartSize) {
    return InvalidField(op, "part_size", Cat("must be 5 MiB..5 GiB (got ", o.part_size, ")"));
  }
  if (o.multipart_threshold < o.part_size) {
    return InvalidField(op, "multipart_threshold",
                        Cat("must be >= part_size ", o.part_size, " (got ", o.multipart_threshold, ")"));
  }
  if (o.timeout.count() <= 0) return InvalidField(op, "timeout_ms", "must be > 0");
  if (o.connect_timeout.count() <= 0) return InvalidField(op, "connect_timeout_ms", "must be > 0");
  if (o.endpoint.empty()) o.endpoint = Cat("https://s3.", o.region, ".amazonaws.com");
  auto ep = ParseUrl(o.endpoint);
  if (!ep.ok() || (ep->scheme != "http" && ep->scheme != "https") || ep->host.empty()) {
    return InvalidField(op, "endpoint", Cat("must be http(s)://host[:port] (got ", Quoted(o.endpoint), ")"));
  }
  if (!ep->path.empty() || !ep->params.empty() || !ep->user.empty()) {
    return InvalidField(op, "endpoint",
                        Cat("must have no path, query or userinfo (got ", Quoted(ep->Redacted()), ")"));
  }
  std::string host = ep->host;
  if (ep->port != 0) absl::StrAppend(&host, ":", ep->port);
  auto store = std::make_unique<S3Store>(o, Cat(ep->scheme, "://", host), host);
  if (o.create_bucket) DAIRA_RETURN_IF_ERROR(store->CreateBucketIfMissing());
  return store;
}

absl::StatusOr<std::unique_ptr<blob::Store>> OpenS3Store(const Url& url) {
  constexpr std::string_view op = "blob s3: open";
  S3StoreOptions o;
  o.bucket = url.host;
  o.prefix = url.path;
  if (!url.user.empty() || url.has_password) {
    return InvalidField(op, "url", "must not carry userinfo (use access_key and secret_key parameters)");
  }
  for (const auto& [k, v] : url.params) {
    if (k == "endpoint") {
      o.endpoint = v;
    } else if (k == "region") {
      o.region = v;
    } else if (k == "access_key") {
      o.access_key = v;
    } else if (k == "secret_key") {
      o.secret_key = v;
    } else if (k == "session_token") {
      if (v.empty()) return InvalidField(op, "session_token", "is empty");
      o.session_token = v;
    } else if (k == "timeout_ms") {
      DAIRA_ASSIGN_OR_RETURN(int64_t n, ParseInt(k, v));
      o.timeout = std::chrono::milliseconds(n);
    } else if (k == "connect_timeout_ms") {
      DAIRA_ASSIGN_OR_RETURN(int64_t n, ParseInt(k, v));
      o.connect_timeout = std::chrono::milliseconds(n);
    } else if (k == "multipart_threshold") {
      DAIRA_ASSIGN_OR_RETURN(o.multipart_threshold, ParseInt(k, v));
    } else if (k == "part_size") {
      DAIRA_ASSIGN_OR_RETURN(o.part_size, ParseInt(k, v));
    } else if (k == "create_bucket") {
      DAIRA_ASSIGN_OR_RETURN(o.create_bucket, ParseBool(k, v));
    } else {
      return InvalidField(op, k,
                          "is not an s3 option (known: endpoint, region, access_key, secret_key, session_token, timeout_ms, "
                          "connect_timeout_ms, multipart_threshold, part_size, create_bucket)");
    }
  }
  return OpenS3Store(o);
}

}  // namespace daira::inline v0::backends
