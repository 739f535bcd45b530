#include "backends/redis/redis_connection.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/time.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <iterator>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daira/core/status.h"

namespace daira::inline v0::backends::redis {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

// Frees a hiredis reply on every path.
struct ReplyDeleter {
  void operator()(redisReply* r) const {
    if (r != nullptr) freeReplyObject(r);
  }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

RedisReply Copy(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Copy(r->element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

// Appends one command in RESP ("*<n>\r\n" then "$<len>\r\n<arg>\r\n" per argument): the same bytes as
// hiredis' redisAppendCommandArgv, whose formatter runs a printf-like sdscatfmt per argument — most of a
// short command's client instructions (an EVALSHA publish: ~7.6k of ~24k) and several times this
// writer's cost on the bus's long argument lists.
template <typename Args>
void AppendResp(std::string& out, const Args& args) {
  constexpr size_t kHeader = 1 + 20 + 2;  // tag, the longest size_t, CRLF
  size_t n = kHeader;
  for (const auto& a : args) n += kHeader + a.size() + 2;
  const size_t start = out.size();
  out.resize(start + n);
  char* p = out.data() + start;
  const auto header = [&p](char tag, size_t v) {
    *p++ = tag;
    p = std::to_chars(p, p + 20, v).ptr;
    *p++ = '\r';
    *p++ = '\n';
  };
  header('*', std::size(args));
  for (const auto& a : args) {
    header('$', a.size());
    if (a.size() > 0) std::memcpy(p, a.data(), a.size());
    p += a.size();
    *p++ = '\r';
    *p++ = '\n';
  }
  out.resize(static_cast<size_t>(p - out.data()));
}

std::string CommandName(std::string_view first) { return std::string(first.substr(0, 32)); }

}  // namespace

absl::StatusOr<std::unique_ptr<RedisConnection>> RedisConnection::Connect(const RedisUrl& url) {
  std::unique_ptr<RedisConnection> conn(new RedisConnection(url));
  conn->ctx_ = redisConnectWithTimeout(url.host.c_str(), url.port, ToTimeval(url.connect_timeout));
  if (conn->ctx_ == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("redis ", url.Redacted(), ": cannot allocate a connection"));
  }
  if (conn->ctx_->err != 0) {
    return absl::UnavailableError(
        absl::StrCat("redis ", url.Redacted(), ": cannot connect: ", conn->ctx_->errstr));
  }
  DAIRA_RETURN_IF_ERROR(conn->SetTimeout(url.command_timeout));
  auto annotate = [&](const absl::Status& s) { return Annotate(s, absl::StrCat("redis ", url.Redacted())); };
  if (!url.password.empty()) {
    absl::StatusOr<RedisReply> auth = url.username.empty()
                                          ? conn->Command({"AUTH", url.password})
                                          : conn->Command({"AUTH", url.username, url.password});
    if (!auth.ok()) {
      // "ERR Client sent AUTH, but no password is set" is a configuration mismatch too.
      absl::Status s = auth.status();
      if (absl::IsFailedPrecondition(s)) s = absl::UnauthenticatedError(s.message());
      return annotate(s);
    }
  }
  if (url.db != 0) {
    auto select = conn->Command({"SELECT", std::to_string(url.db)});
    if (!select.ok()) return annotate(select.status());
  }
  return conn;
}

RedisConnection::~RedisConnection() {
  if (ctx_ != nullptr) redisFree(ctx_);
}

int RedisConnection::fd() const { return ctx_ == nullptr ? -1 : ctx_->fd; }

absl::Status RedisConnection::SetTimeout(std::chrono::milliseconds timeout) {
  if (timeout <= std::chrono::milliseconds(0)) timeout = std::chrono::milliseconds(1);
  if (timeout == timeout_) return absl::OkStatus();
  if (redisSetTimeout(ctx_, ToTimeval(timeout)) != REDIS_OK) {
    broken_ = true;
    return absl::UnavailableError(absl::StrCat("redis ", url_.Redacted(), ": cannot set the socket timeout"));
  }
  timeout_ = timeout;
  return absl::OkStatus();
}

absl::Status RedisConnection::IoError(std::string_view what) {
  broken_ = true;
  const bool timed_out = ctx_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
  return absl::UnavailableError(absl::StrCat(
      "redis ", url_.Redacted(), " ", ToAbsl(what), ": ",
      timed_out ? absl::StrCat("no reply within ", timeout_.count(), " ms") : std::string(ctx_->errstr)));
}

absl::StatusOr<std::vector<RedisReply>> RedisConnection::Exchange(size_t n, std::string_view what) {
  std::vector<RedisReply> out;
  out.reserve(n);
  ++round_trips_;
  for (size_t i = 0; i < n; ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) return IoError(what);
    ReplyPtr reply(static_cast<redisReply*>(raw));
    out.push_back(Copy(reply.get()));
  }
  return out;
}

absl::StatusOr<RedisReply> RedisConnection::Command(std::span<const std::string_view> args) {
  if (broken_)
    return absl::UnavailableError(absl::StrCat("redis ", url_.Redacted(), ": connection is broken"));
  if (args.empty()) return absl::InvalidArgumentError("redis command: no arguments");
  std::string resp;
  AppendResp(resp, args);
  const std::string name = CommandName(args[0]);
  if (redisAppendFormattedCommand(ctx_, resp.data(), resp.size()) != REDIS_OK) return IoError(name);
  DAIRA_ASSIGN_OR_RETURN(std::vector<RedisReply> replies, Exchange(1, name));
  if (replies[0].IsError()) return ErrorReplyStatus(name, replies[0]);
  return std::move(replies[0]);
}

absl::StatusOr<RedisReply> RedisConnection::Command(std::span<const std::string> args) {
  std::vector<std::string_view> views(args.begin(), args.end());
  return Command(std::span<const std::string_view>(views));
}

absl::StatusOr<std::vector<RedisReply>> RedisConnection::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  if (broken_)
    return absl::UnavailableError(absl::StrCat("redis ", url_.Redacted(), ": connection is broken"));
  if (commands.empty()) return std::vector<RedisReply>{};
  std::string resp;
  for (const auto& cmd : commands) {
    if (cmd.empty()) return absl::InvalidArgumentError("redis pipeline: a command has no arguments");
    AppendResp(resp, cmd);
  }
  if (redisAppendFormattedCommand(ctx_, resp.data(), resp.size()) != REDIS_OK) return IoError("pipeline");
  return Exchange(commands.size(), "pipeline");
}

absl::StatusOr<RedisReply> RedisConnection::Eval(const RedisScript& script, std::span<const std::string> keys,
                                                 std::span<const std::string> args) {
  return EvalSpans(script, keys, args);
}

absl::StatusOr<RedisReply> RedisConnection::EvalViews(const RedisScript& script,
                                                      std::span<const std::string_view> keys,
                                                      std::span<const std::string_view> args) {
  return EvalSpans(script, keys, args);
}

template <typename T>
absl::StatusOr<RedisReply> RedisConnection::EvalSpans(const RedisScript& script, std::span<const T> keys,
                                                      std::span<const T> args) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string sha = script.sha();
    if (sha.empty()) {
      DAIRA_ASSIGN_OR_RETURN(RedisReply loaded, Command({"SCRIPT", "LOAD", script.source()}));
      sha = loaded.str;
      script.set_sha(sha);
    }
    std::vector<std::string_view> argv;
    argv.reserve(3 + keys.size() + args.size());
    const std::string nkeys = std::to_string(keys.size());
    argv.insert(argv.end(), {"EVALSHA", sha, nkeys});
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    absl::StatusOr<RedisReply> reply = Command(std::span<const std::string_view>(argv));
    if (reply.ok() || !absl::StartsWith(reply.status().message(), "redis EVALSHA: NOSCRIPT")) return reply;
    script.set_sha("");  // the server lost it (restart, SCRIPT FLUSH): load it again
  }
  return absl::UnavailableError(
      "redis script: the server keeps losing the script (NOSCRIPT after SCRIPT LOAD)");
}

absl::Status RedisConnection::Send(std::span<const std::string_view> args) {
  if (broken_)
    return absl::UnavailableError(absl::StrCat("redis ", url_.Redacted(), ": connection is broken"));
  std::string resp;
  AppendResp(resp, args);
  if (redisAppendFormattedCommand(ctx_, resp.data(), resp.size()) != REDIS_OK) return IoError("send");
  int done = 0;
  while (done == 0) {
    if (redisBufferWrite(ctx_, &done) != REDIS_OK) return IoError("send");
  }
  return absl::OkStatus();
}

absl::StatusOr<RedisReply> RedisConnection::ReadReply(std::chrono::milliseconds timeout) {
  if (broken_)
    return absl::UnavailableError(absl::StrCat("redis ", url_.Redacted(), ": connection is broken"));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    void* raw = nullptr;
    // A reply already buffered needs no read (and no poll).
    if (redisGetReplyFromReader(ctx_, &raw) != REDIS_OK) return IoError("read");
    if (raw != nullptr) {
      ReplyPtr reply(static_cast<redisReply*>(raw));
      return Copy(reply.get());
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{.fd = ctx_->fd, .events = POLLIN, .revents = 0};
    const int ready = poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count())));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return IoError("read");
    if (ready == 0) {
      return absl::DeadlineExceededError(
          absl::StrCat("redis ", url_.Redacted(), ": no message within ", timeout.count(), " ms"));
    }
    if (redisBufferRead(ctx_) != REDIS_OK) return IoError("read");
  }
}

}  // namespace daira::inline v0::backends::redis
