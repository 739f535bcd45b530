#include "backends/postgres/postgres_connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "backends/postgres/postgres_status.h"
#include "backends/postgres/postgres_values.h"
#include "daira/core/logging.h"
#include "daira/core/status.h"
#include "daira/store/dialect.h"
#include "store/result_source.h"

namespace daira::inline v0::backends {

namespace {

using store::ResultSet;
using store::Value;
using store::ValueType;

// Type OIDs (pg_type.dat). Parameters of type 0 are inferred by the server.
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kNameOid = 19;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;
constexpr Oid kOidOid = 26;
constexpr Oid kJsonOid = 114;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNameArrayOid = 1003;
constexpr Oid kInt2ArrayOid = 1005;
constexpr Oid kInt4ArrayOid = 1007;
constexpr Oid kTextArrayOid = 1009;
constexpr Oid kBpcharArrayOid = 1014;
constexpr Oid kVarcharArrayOid = 1015;
constexpr Oid kBpcharOid = 1042;
constexpr Oid kVarcharOid = 1043;
constexpr Oid kInt8ArrayOid = 1016;
constexpr Oid kNumericOid = 1700;
constexpr Oid kJsonbOid = 3802;

// The parameter type a Value binds as. Text, JSON and NULL are left to the server so they can fill
// varchar/jsonb/enum/boolean columns; numbers get explicit types so `? - 1` stays int8 (not int4).
Oid ParamOid(const Value& v) {
  switch (v.type()) {
    case ValueType::kInt64: return kInt8Oid;
    case ValueType::kDouble: return kFloat8Oid;
    case ValueType::kBlob: return kByteaOid;
    case ValueType::kInt64Array: return kInt8ArrayOid;
    case ValueType::kTextArray: return kTextArrayOid;
    case ValueType::kNull:
    case ValueType::kText:
    case ValueType::kJson: return 0;
  }
  return 0;
}

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

int64_t ParseInt64(const char* s, int len) { return PgParseInt64(s, s + len); }

PgKind KindOf(Oid type) {
  switch (type) {
    case kBoolOid: return PgKind::kBool;
    case kInt8Oid:
    case kInt2Oid:
    case kInt4Oid:
    case kOidOid: return PgKind::kInt;
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid: return PgKind::kDouble;
    case kByteaOid: return PgKind::kBytea;
    case kInt2ArrayOid:
    case kInt4ArrayOid:
    case kInt8ArrayOid: return PgKind::kIntArray;
    case kTextArrayOid:
    case kVarcharArrayOid:
    case kBpcharArrayOid:
    case kNameArrayOid: return PgKind::kTextArray;
    case kJsonOid:
    case kJsonbOid: return PgKind::kJson;
    default: return PgKind::kText;
  }
}

// Whether a column of `type` reads the same from a binary result as from a text one: big-endian
// integers of 2, 4 or 8 bytes (PgKind::kInt; not oid, which is unsigned), one byte for bool, and the
// text types, whose binary form is their text. Any other type keeps the statement's results in text.
bool BinaryReadable(Oid type) {
  switch (type) {
    case kBoolOid:
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kTextOid:
    case kVarcharOid:
    case kBpcharOid:
    case kNameOid: return true;
    default: return false;
  }
}

// An unsigned integer of type U from its big-endian bytes at `s`.
template <typename U>
U FromBigEndian(const char* s) {
  U u;
  std::memcpy(&u, s, sizeof u);
  if constexpr (std::endian::native == std::endian::little) {
    if constexpr (sizeof u == 8) {
      u = __builtin_bswap64(u);
    } else if constexpr (sizeof u == 4) {
      u = __builtin_bswap32(u);
    } else {
      u = __builtin_bswap16(u);
    }
  }
  return u;
}

// A binary integer cell of `len` bytes (2, 4 or 8; big-endian, two's complement): one load and a
// byte swap.
int64_t BinaryInt64(const char* s, int len) {
  switch (len) {
    case 8: return static_cast<int64_t>(FromBigEndian<uint64_t>(s));
    case 4: return static_cast<int32_t>(FromBigEndian<uint32_t>(s));
    case 2: return static_cast<int16_t>(FromBigEndian<uint16_t>(s));
    default: return 0;  // not an integer type's width (BinaryReadable admits none other)
  }
}

Value DecodeValue(PgKind kind, const char* s, int len) {
  switch (kind) {
    case PgKind::kBool: return Value(int64_t{s[0] == 't' ? 1 : 0});
    case PgKind::kInt: return Value(ParseInt64(s, len));
    case PgKind::kDouble: return Value(std::strtod(s, nullptr));
    case PgKind::kBytea: {
      std::string bytes;
      if (!PgDecodeHexBytea(std::string_view(s, len), &bytes)) {  // bytea_output=escape
        size_t n = 0;
        unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(s), &n);
        if (raw != nullptr) {
          bytes.assign(reinterpret_cast<const char*>(raw), n);
          PQfreemem(raw);
        }
      }
      return Value::Blob(std::move(bytes));
    }
    case PgKind::kIntArray: {
      std::vector<int64_t> out;
      if (!PgParseInt64Array(std::string_view(s, len), &out)) return Value(std::string(s, len));
      return Value(std::move(out));
    }
    case PgKind::kTextArray: {
      std::vector<std::string> out;
      if (!PgParseTextArray(std::string_view(s, len), &out)) return Value(std::string(s, len));
      return Value(std::move(out));
    }
    case PgKind::kJson: return Value::Json(std::string(s, len));
    case PgKind::kText: break;
  }
  return Value(std::string(s, len));
}

// A result's cells read in place from the PGresult (store::ResultSource). Every cell is located once,
// when the result is built: one pass of PQgetvalue over the rows (the cost the raw client pays per cell
// read), integers parsed there (or, in a binary result, read from their 2-8 bytes: no strlen, no
// parsing), text cells kept as pointers into the PGresult. The Row accessors then
// read a 16-byte cell with no virtual call and no libpq call (store::ResultSource::Read); arrays parse
// straight from the cell's text into the caller's vector; everything else decodes as DecodeValue.
class PgResultSource final : public store::ResultSource {
 public:
  PgResultSource(ResultPtr result, std::shared_ptr<const std::vector<PgKind>> kinds, int rows)
      : result_(std::move(result)), kinds_(std::move(kinds)) {
    const PGresult* res = result_.get();
    const std::vector<PgKind>& kinds_of = *kinds_;
    const int cols = static_cast<int>(kinds_of.size());
    // libpq asks for one format for every column (PostgresStatement::Variant::binary_results).
    binary_ = cols > 0 && PQfformat(res, 0) == 1;
    // A large result (trending ranks 1,000 rows of 19 columns on a few of them) is read lazily: the
    // location pass would touch every cell, read or not.
    if (static_cast<size_t>(rows) * static_cast<size_t>(cols) > kMaxFlatCells) return;
    // Not value-initialized: Locate writes every cell (zeroing them first cost ~5 instructions a cell).
    cells_.reset(new FlatCell[static_cast<size_t>(rows) * static_cast<size_t>(cols)]);
    FlatCell* cell = cells_.get();
    if (binary_) {
      for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c, ++cell) LocateBinary(res, r, c, kinds_of[c], cell);
      }
    } else {
      for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c, ++cell) Locate(res, r, c, kinds_of[c], cell);
      }
    }
    SetFlatCells(cells_.get(), static_cast<size_t>(cols));
  }

  bool IsNullAt(size_t row, int col) const override {
    if (cells_ == nullptr) return PQgetisnull(result_.get(), static_cast<int>(row), col) != 0;
    return At(row, col).kind == Cell::Kind::kNull;
  }
  Cell CellAt(size_t row, int col) const override {
    return cells_ == nullptr ? ToCell(Lazy(row, col)) : Read(row, col);
  }

  Value ValueAt(size_t row, int col) const override {
    const FlatCell f = cells_ == nullptr ? Lazy(row, col) : At(row, col);
    switch (f.kind) {
      case Cell::Kind::kNull: return Value();
      case Cell::Kind::kInt64: return Value(f.int64);
      case Cell::Kind::kText: return Value(std::string(f.text, f.size));
      case Cell::Kind::kOther: break;
    }
    return DecodeValue((*kinds_)[col], f.text, static_cast<int>(f.size));
  }

  // An array's text is never empty ("{}" at least); a NULL cell is no array (ValueAt's NULL then).
  bool Int64ArrayAt(size_t row, int col, std::vector<int64_t>* out) const override {
    const FlatCell f = cells_ == nullptr ? Lazy(row, col) : At(row, col);
    if ((*kinds_)[col] != PgKind::kIntArray || f.kind != Cell::Kind::kOther) return false;
    return PgParseInt64Array(std::string_view(f.text, f.size), out);
  }

  bool TextArrayAt(size_t row, int col, std::vector<std::string>* out) const override {
    const FlatCell f = cells_ == nullptr ? Lazy(row, col) : At(row, col);
    if ((*kinds_)[col] != PgKind::kTextArray || f.kind != Cell::Kind::kOther) return false;
    return PgParseTextArray(std::string_view(f.text, f.size), out);
  }

 private:
  // libpq's accessors check their arguments on every call (~30 instructions each): a cell that is not
  // empty text is not NULL, so PQgetisnull is asked only for empty ones, and a cell's length is that of
  // its NUL-terminated text (the text format holds no NUL), so PQgetlength is not asked at all.
  static void Locate(const PGresult* res, int r, int c, PgKind kind, FlatCell* cell) {
    const char* s = PQgetvalue(res, r, c);
    if (*s == '\0' && PQgetisnull(res, r, c) != 0) {
      cell->int64 = 0;
      cell->size = 0;
      cell->kind = Cell::Kind::kNull;
      return;
    }
    switch (kind) {
      case PgKind::kBool:
        cell->int64 = s[0] == 't' ? 1 : 0;
        cell->size = 0;
        cell->kind = Cell::Kind::kInt64;
        return;
      case PgKind::kInt:
        cell->int64 = PgParseInt64(s, s + std::strlen(s));
        cell->size = 0;
        cell->kind = Cell::Kind::kInt64;
        return;
      case PgKind::kText:
        cell->kind = Cell::Kind::kText;
        break;
      default:
        cell->kind = Cell::Kind::kOther;
        break;
    }
    cell->text = s;
    cell->size = static_cast<uint32_t>(std::strlen(s));
  }

  // The same for a binary result, whose columns are all BinaryReadable: an integer or bool cell is
  // NULL exactly when it is empty (their binary forms have 1-8 bytes), so PQgetlength answers both
  // its NULLness and its width; a text cell is its text (libpq NUL-terminates every value).
  static void LocateBinary(const PGresult* res, int r, int c, PgKind kind, FlatCell* cell) {
    const char* s = PQgetvalue(res, r, c);
    if (kind == PgKind::kInt || kind == PgKind::kBool) {
      const int len = PQgetlength(res, r, c);
      if (len == 0) {
        cell->int64 = 0;
        cell->kind = Cell::Kind::kNull;
      } else {
        cell->int64 = kind == PgKind::kBool ? (s[0] != 0 ? 1 : 0) : BinaryInt64(s, len);
        cell->kind = Cell::Kind::kInt64;
      }
      cell->size = 0;
      return;
    }
    if (*s == '\0' && PQgetisnull(res, r, c) != 0) {
      cell->int64 = 0;
      cell->size = 0;
      cell->kind = Cell::Kind::kNull;
      return;
    }
    cell->kind = kind == PgKind::kText ? Cell::Kind::kText : Cell::Kind::kOther;
    cell->text = s;
    cell->size = static_cast<uint32_t>(std::strlen(s));
  }

  // Results above this many cells are not located up front (cells_ stays null): each read locates its cell.
  static constexpr size_t kMaxFlatCells = 4096;

  FlatCell Lazy(size_t row, int col) const {
    FlatCell f;
    if (binary_) {
      LocateBinary(result_.get(), static_cast<int>(row), col, (*kinds_)[col], &f);
    } else {
      Locate(result_.get(), static_cast<int>(row), col, (*kinds_)[col], &f);
    }
    return f;
  }

  const FlatCell& At(size_t row, int col) const { return cells_[row * kinds_->size() + static_cast<size_t>(col)]; }

  ResultPtr result_;
  std::shared_ptr<const std::vector<PgKind>> kinds_;
  std::unique_ptr<FlatCell[]> cells_;  // row-major (null: read lazily); text points into result_
  bool binary_ = false;                // the result's cells are in binary format
};

using SteadyClock = std::chrono::steady_clock;
constexpr SteadyClock::time_point kNoBound = SteadyClock::time_point::max();

// Waits until `fd` is readable (or writable, with `write`) or `until` passes. 1 ready, 0 timed out,
// -1 error.
int WaitSocket(int fd, bool write, SteadyClock::time_point until) {
  if (fd < 0) return -1;
  while (true) {
    int timeout_ms = -1;
    if (until != kNoBound) {
      const auto left = until - SteadyClock::now();
      if (left <= SteadyClock::duration::zero()) return 0;
      timeout_ms = static_cast<int>(std::min<int64_t>(
          std::chrono::ceil<std::chrono::milliseconds>(left).count(), 24 * 3600 * 1000));
    }
    pollfd p{fd, static_cast<short>(POLLIN | (write ? POLLOUT : 0)), 0};
    const int r = ::poll(&p, 1, timeout_ms);
    if (r > 0) return 1;
    if (r == 0) {
      if (until == kNoBound) continue;
      if (SteadyClock::now() >= until) return 0;
      continue;
    }
    if (errno != EINTR) return -1;
  }
}

// Cancel requests run on a detached helper thread: libpq 15's PQcancel blocks until the server answers,
// and a frozen server would hold the caller past its deadline. At most this many run at once (a frozen
// server holds them until it thaws or dies); beyond it the connection is simply abandoned.
constexpr int kMaxCancelsInFlight = 16;
std::atomic<int> cancels_in_flight{0};

struct CancelRequest {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
};

// Starts a cancel of `conn`'s running command. Null when none could be started.
std::shared_ptr<CancelRequest> StartCancel(PGconn* conn) {
  if (cancels_in_flight.fetch_add(1) >= kMaxCancelsInFlight) {
    cancels_in_flight.fetch_sub(1);
    return nullptr;
  }
  PGcancel* cancel = PQgetCancel(conn);
  if (cancel == nullptr) {
    cancels_in_flight.fetch_sub(1);
    return nullptr;
  }
  auto request = std::make_shared<CancelRequest>();
  std::thread([cancel, request] {
    char err[256];
    PQcancel(cancel, err, sizeof(err));
    PQfreeCancel(cancel);
    {
      std::lock_guard<std::mutex> lock(request->mu);
      request->done = true;
    }
    request->cv.notify_all();
    cancels_in_flight.fetch_sub(1);
  }).detach();
  return request;
}

LogLevel NoticeLevel(std::string_view severity) {
  if (severity == "DEBUG" || severity == "LOG") return LogLevel::kDebug;
  if (severity == "INFO" || severity == "NOTICE") return LogLevel::kInfo;
  if (severity == "WARNING") return LogLevel::kWarning;
  return LogLevel::kError;  // ERROR, FATAL, PANIC
}

const char* IsolationSql(store::IsolationLevel level) {
  switch (level) {
    case store::IsolationLevel::kReadCommitted: return "BEGIN ISOLATION LEVEL READ COMMITTED";
    case store::IsolationLevel::kRepeatableRead: return "BEGIN ISOLATION LEVEL REPEATABLE READ";
    case store::IsolationLevel::kSerializable: return "BEGIN ISOLATION LEVEL SERIALIZABLE";
    case store::IsolationLevel::kDefault: break;
  }
  return "BEGIN";
}

}  // namespace

void PgNoticeReceiver(void* arg, const PGresult* result) {
  const char* severity = PQresultErrorField(result, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (severity == nullptr) severity = PQresultErrorField(result, PG_DIAG_SEVERITY);
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  std::string message = primary != nullptr ? primary : PQresultErrorMessage(result);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  const std::string_view sev = severity != nullptr ? severity : "NOTICE";
  std::string text = absl::StrCat(ToAbsl(sev), ": ", message);
  if (const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE)) absl::StrAppend(&text, " (SQLSTATE ", state, ")");
  const auto* conn = static_cast<const PostgresConnection*>(arg);
  if (conn != nullptr && conn->request() != nullptr) {
    Log(NoticeLevel(sev), *conn->request(), "postgres", text);
  } else {
    Log(NoticeLevel(sev), "postgres", text);
  }
}

// Parameter arrays for one execution. Pointers refer into `numbers` / `storage` (sized once, never
// reallocated) or into the caller's Values, which outlive the call. Inline up to 16 parameters: a
// statement's execution allocates none of its arrays. Integers (most parameters) are written into
// fixed inline buffers; doubles and arrays, rarer, into strings. Lengths and formats are filled only
// when a blob is bound (libpq reads them for binary parameters only; null means every one is text).
struct PostgresConnection::Bound {
  template <typename T>
  using Array = absl::InlinedVector<T, 16>;
  Array<Oid> types;
  Array<const char*> values;
  Array<std::array<char, 24>> numbers;  // int64 texts, NUL-terminated
  std::vector<std::string> storage;     // double and array texts; reserved before the first one
  Array<int> lengths;                   // empty unless a blob is bound
  Array<int> formats;

  const int* length_data() const { return lengths.empty() ? nullptr : lengths.data(); }
  const int* format_data() const { return formats.empty() ? nullptr : formats.data(); }

  // InvalidArgument for text containing NUL, which PostgreSQL text cannot hold (refused, never truncated).
  absl::Status Bind(store::Params params) {
    const size_t n = params.size();
    types.resize(n);
    values.resize(n);
    numbers.resize(n);
    auto text = [&](std::string t) {
      if (storage.capacity() < n) storage.reserve(n);  // never reallocated after: pointers stay valid
      storage.push_back(std::move(t));
      return storage.back().c_str();
    };
    for (size_t i = 0; i < n; ++i) {
      const Value& v = params[i];
      types[i] = ParamOid(v);
      switch (v.type()) {
        case ValueType::kNull: values[i] = nullptr; break;
        case ValueType::kInt64: {
          char* buf = numbers[i].data();
          *std::to_chars(buf, buf + numbers[i].size() - 1, v.int64()).ptr = '\0';
          values[i] = buf;
          break;
        }
        case ValueType::kDouble: values[i] = text(PgDoubleText(v.dbl())); break;
        case ValueType::kText:
        case ValueType::kJson: {
          const std::string& t = v.type() == ValueType::kText ? v.text() : v.json();
          if (t.find('\0') != std::string::npos) {
            return absl::InvalidArgumentError(absl::StrCat(
                "execute: parameter ", i + 1, " text contains a NUL byte (PostgreSQL text cannot hold it; use a blob)"));
          }
          values[i] = t.c_str();
          break;
        }
        case ValueType::kBlob:
          if (lengths.empty()) {
            lengths.assign(n, 0);
            formats.assign(n, 0);
          }
          values[i] = v.blob().data();
          lengths[i] = static_cast<int>(v.blob().size());
          formats[i] = 1;  // binary: no escaping, any byte value
          break;
        case ValueType::kInt64Array: values[i] = text(PgInt64ArrayLiteral(v.int64_array())); break;
        case ValueType::kTextArray: values[i] = text(PgTextArrayLiteral(v.text_array())); break;
      }
    }
    return absl::OkStatus();
  }
};

absl::StatusOr<ResultSet> PostgresStatement::Execute(store::Params params) {
  return conn_->ExecuteStatement(this, params);
}

PostgresConnection::PostgresConnection(pg_conn* conn, PostgresSettings settings)
    : conn_(conn), settings_(settings), cache_(settings.statement_cache_size) {
  PQsetNoticeReceiver(conn_, &PgNoticeReceiver, this);
  // Non-blocking sends: a server that stops reading cannot hold a caller past its deadline.
  PQsetnonblocking(conn_, 1);
}

PostgresConnection::~PostgresConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

int PostgresConnection::backend_pid() const { return PQbackendPID(conn_); }

absl::StatusOr<std::vector<std::string>> PostgresConnection::WaitForNotifications(std::chrono::milliseconds timeout,
                                                                                 int wake_fd) {
  std::vector<std::string> out;
  auto drain = [&] {
    while (PGnotify* n = PQnotifies(conn_)) {
      out.emplace_back(n->extra != nullptr ? n->extra : "");
      PQfreemem(n);
    }
  };
  drain();
  if (!out.empty()) return out;
  if (broken_ || PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    return absl::UnavailableError("postgres: listen: the connection is lost");
  }
  pollfd fds[2] = {{PQsocket(conn_), POLLIN, 0}, {wake_fd, POLLIN, 0}};
  const int n = poll(fds, wake_fd >= 0 ? 2 : 1, static_cast<int>(std::max<int64_t>(0, timeout.count())));
  if (n < 0 && errno != EINTR) return absl::UnavailableError("postgres: listen: poll failed");
  if (n > 0 && (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) != 0) {
    if (PQconsumeInput(conn_) == 0) {
      broken_ = true;
      return absl::UnavailableError(absl::StrCat("postgres: listen: ", PQerrorMessage(conn_)));
    }
    drain();
  }
  return out;
}

std::string PostgresConnection::ConnectionOption(std::string_view keyword) const {
  std::string out;
  PQconninfoOption* options = PQconninfo(conn_);
  if (options == nullptr) return out;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (keyword == o->keyword && o->val != nullptr) out = o->val;
  }
  PQconninfoFree(options);
  return out;
}

absl::StatusOr<store::Statement*> PostgresConnection::Prepare(std::string_view sql) {
  if (PostgresStatement* st = cache_.Find(sql)) return st;
  return Add(sql, 0);
}

absl::StatusOr<store::Statement*> PostgresConnection::Prepare(const store::SqlText& sql) {
  if (PostgresStatement* st = cache_.Find(sql)) return st;
  return Add(sql.view(), sql.id());
}

PostgresStatement* PostgresConnection::Add(std::string_view sql, uint64_t id) {
  static const store::Dialect kDialect(store::Backend::kPostgres);
  PostgresStatement* st = cache_.Insert(
      std::make_unique<PostgresStatement>(this, std::string(sql), kDialect.RewritePlaceholders(sql),
                                          store::Dialect::CountPlaceholders(sql)),
      id);
  cache_.EvictOverCapacity([this](std::unique_ptr<PostgresStatement> victim) {
    for (PostgresStatement::Variant& v : victim->variants_) {
      if (v.prepared) pending_deallocate_.push_back(v.name);
      v.prepared = false;
      v.name = absl::StrCat("d", next_statement_id_++);
      v.columns.reset();
    }
    evicted_.push_back(std::move(victim));
  });
  FlushDeallocations();
  return st;
}

void PostgresConnection::FlushDeallocations() {
  if (pending_deallocate_.empty() || broken_ || PQtransactionStatus(conn_) != PQTRANS_IDLE) return;
  std::string sql;
  for (const std::string& name : pending_deallocate_) absl::StrAppend(&sql, "DEALLOCATE ", name, ";");
  pending_deallocate_.clear();
  StartOperation(/*request_deadline=*/false);
  ++round_trips_;
  if (PQsendQuery(conn_, sql.c_str()) != 1 || !Flush("deallocate", sql).ok()) {
    broken_ = true;
    return;
  }
  absl::StatusOr<PGresult*> r = CollectResults("deallocate", sql);
  if (r.ok()) PQclear(*r);  // best effort: a leftover only costs server memory
}

std::vector<std::unique_ptr<store::Statement>> PostgresConnection::TakeEvicted() {
  // Evicted statements executed again after eviction prepared themselves again: forget those too.
  for (const auto& st : evicted_) {
    for (PostgresStatement::Variant& v : static_cast<PostgresStatement*>(st.get())->variants_) {
      if (v.prepared) pending_deallocate_.push_back(v.name);
      v.prepared = false;
    }
  }
  FlushDeallocations();
  return std::move(evicted_);
}

PostgresStatement::Variant* PostgresConnection::VariantFor(PostgresStatement* st, std::span<const Oid> types,
                                                           store::Params params) {
  // Prefer a prepared variant; a NULL parameter fits any type.
  PostgresStatement::Variant* unprepared = nullptr;
  for (PostgresStatement::Variant& v : st->variants_) {
    bool match = true;
    for (size_t i = 0; i < types.size() && match; ++i) {
      match = params[i].is_null() || v.types[i] == types[i];
    }
    if (!match) continue;
    if (v.prepared) return &v;
    if (unprepared == nullptr) unprepared = &v;
  }
  if (unprepared != nullptr) return unprepared;
  PostgresStatement::Variant& v = st->variants_.emplace_back();
  v.types.assign(types.begin(), types.end());
  v.prepare_types = v.types;
  v.name = absl::StrCat("d", next_statement_id_++);
  return &v;
}

void PostgresConnection::StartOperation(bool request_deadline) {
  bound_ = kNoBound;
  bound_by_request_ = false;
  if (settings_.statement_timeout.count() > 0) bound_ = SteadyClock::now() + settings_.statement_timeout;
  if (request_deadline && ctx_ != nullptr && ctx_->deadline().has_value() && *ctx_->deadline() <= bound_) {
    bound_ = *ctx_->deadline();
    bound_by_request_ = true;
  }
}

absl::Status PostgresConnection::DeadlineError(std::string_view op, std::string_view sql) const {
  std::string why = bound_by_request_
                        ? absl::StrCat("request deadline reached (correlation id ", ctx_->correlation_id(), ")")
                        : absl::StrCat("statement_timeout_ms (", settings_.statement_timeout.count(), " ms) reached");
  std::string text = absl::StrCat("postgres ", ToAbsl(op), ": ", why);
  if (!sql.empty()) absl::StrAppend(&text, " in: ", ToAbsl(sql.substr(0, 200)), sql.size() > 200 ? "..." : "");
  return absl::DeadlineExceededError(text);
}

absl::Status PostgresConnection::Flush(std::string_view op, std::string_view sql) {
  while (true) {
    const int r = PQflush(conn_);
    if (r == 0) return absl::OkStatus();
    if (r < 0) {
      broken_ = true;
      return ErrorFrom(nullptr, sql);
    }
    const int w = WaitSocket(PQsocket(conn_), /*write=*/true, bound_);
    if (w == 0) {
      broken_ = true;  // a message may be half sent: the session cannot be trusted any more
      return DeadlineError(op, sql);
    }
    if (w < 0 || PQconsumeInput(conn_) != 1) {
      broken_ = true;
      return ErrorFrom(nullptr, sql);
    }
  }
}

absl::Status PostgresConnection::AwaitResult(std::string_view op, std::string_view sql) {
  while (PQisBusy(conn_) == 1) {
    const int w = WaitSocket(PQsocket(conn_), /*write=*/false, bound_);
    if (w == 0) return Interrupt(op, sql);
    if (w < 0 || PQconsumeInput(conn_) != 1) {
      broken_ = true;
      return ErrorFrom(nullptr, sql);
    }
  }
  return absl::OkStatus();
}

absl::Status PostgresConnection::Interrupt(std::string_view op, std::string_view sql, bool* completed_ok) {
  interrupted_ok_ = false;
  std::shared_ptr<CancelRequest> cancel = StartCancel(conn_);
  const auto grace = SteadyClock::now() + kCancelGrace;
  bool drained = cancel != nullptr;
  bool all_ok = true;
  const bool pipeline = PQpipelineStatus(conn_) != PQ_PIPELINE_OFF;
  int idle_nulls = 0;
  while (drained) {
    // Read until the command is over: libpq's null result (simple protocol) or the pipeline's Sync.
    while (PQisBusy(conn_) == 1) {
      const int w = WaitSocket(PQsocket(conn_), false, grace);
      if (w <= 0 || PQconsumeInput(conn_) != 1) {
        drained = false;
        break;
      }
    }
    if (!drained) break;
    ResultPtr r(PQgetResult(conn_));
    if (r == nullptr) {
      if (!pipeline || ++idle_nulls > 2 || PQstatus(conn_) != CONNECTION_OK) break;
      continue;
    }
    idle_nulls = 0;
    const ExecStatusType status = PQresultStatus(r.get());
    if (status == PGRES_PIPELINE_SYNC) break;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY &&
        status != PGRES_PIPELINE_ABORTED) {
      all_ok = false;
    }
  }
  if (drained && pipeline && PQexitPipelineMode(conn_) != 1) drained = false;
  if (drained) {
    // The cancel must have reached the server before the session is reused, or it could stop the
    // next statement instead.
    std::unique_lock<std::mutex> lock(cancel->mu);
    drained = cancel->cv.wait_until(lock, grace, [&] { return cancel->done; });
  }
  if (!drained || PQstatus(conn_) != CONNECTION_OK) broken_ = true;
  interrupted_ok_ = drained && all_ok;
  if (completed_ok != nullptr) *completed_ok = interrupted_ok_;
  return DeadlineError(op, sql);
}

absl::StatusOr<PGresult*> PostgresConnection::CollectResults(std::string_view op, std::string_view sql) {
  ResultPtr keep;
  while (true) {
    DAIRA_RETURN_IF_ERROR(AwaitResult(op, sql));
    ResultPtr r(PQgetResult(conn_));
    if (r == nullptr) break;
    auto failed = [](const PGresult* x) {
      const ExecStatusType status = PQresultStatus(x);
      return status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY;
    };
    if (keep == nullptr || !failed(keep.get())) keep = std::move(r);  // the first failure wins
    if (PQstatus(conn_) != CONNECTION_OK) break;
  }
  return keep.release();
}

absl::Status PostgresConnection::ErrorFrom(const pg_result* result, std::string_view sql) {
  std::string sqlstate;
  std::string message;
  if (result != nullptr) {
    if (const char* s = PQresultErrorField(result, PG_DIAG_SQLSTATE)) sqlstate = s;
    if (const char* m = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY)) {
      message = m;
    } else {
      message = PQresultErrorMessage(result);
    }
  }
  if (message.empty()) message = PQerrorMessage(conn_);
  absl::StatusCode code = absl::StatusCode::kOk;  // from the SQLSTATE
  if (PQstatus(conn_) != CONNECTION_OK || (result == nullptr && sqlstate.empty()) ||
      PgSqlStateMeansLostConnection(sqlstate)) {
    broken_ = true;
    code = absl::StatusCode::kUnavailable;
  } else if (PgClassifySqlState(sqlstate).discard_connection) {
    broken_ = true;  // e.g. 25006: a read-only server (the old primary after a failover)
  }
  return PgError(sqlstate, message, sql, code);
}

absl::StatusOr<ResultSet> PostgresConnection::ToResultSet(pg_result* owned, std::string_view sql,
                                                          PostgresStatement::Variant* variant) {
  ResultPtr result(owned);
  switch (PQresultStatus(result.get())) {
    case PGRES_TUPLES_OK:
    case PGRES_COMMAND_OK:
    case PGRES_EMPTY_QUERY: break;
    default: return ErrorFrom(result.get(), sql);
  }
  const int ncols = PQnfields(result.get());
  const int nrows = PQntuples(result.get());
  std::shared_ptr<const std::vector<std::string>> columns;
  std::shared_ptr<const std::vector<PgKind>> kinds;
  // A prepared statement's result columns cannot change behind it: the server refuses to run it
  // with another row type ("cached plan must not change result type", 0A000, which Forget/Invalidate
  // answer by dropping the cached columns). So the names and types cached from its first result are
  // reused without comparing them again (that compare cost ~100 instructions per column per call).
  if (variant != nullptr && variant->columns != nullptr && static_cast<int>(variant->columns->size()) == ncols) {
    columns = variant->columns;
    kinds = variant->column_kinds;
  }
  if (columns == nullptr) {
    std::vector<std::string> names;
    std::vector<PgKind> column_kinds;
    names.reserve(ncols);
    column_kinds.reserve(ncols);
    bool binary_readable = ncols > 0;
    for (int c = 0; c < ncols; ++c) {
      names.emplace_back(PQfname(result.get(), c));
      const Oid type = PQftype(result.get(), c);
      column_kinds.push_back(KindOf(type));
      binary_readable = binary_readable && BinaryReadable(type);
    }
    columns = std::make_shared<const std::vector<std::string>>(std::move(names));
    kinds = std::make_shared<const std::vector<PgKind>>(std::move(column_kinds));
    if (variant != nullptr) {
      variant->columns = columns;
      variant->column_kinds = kinds;
      variant->binary_results = binary_readable;
    }
  }
  // Rows changed by INSERT/UPDATE/DELETE/MERGE (RETURNING included); queries report 0 (PQcmdTuples
  // would give SELECT's row count).
  int64_t affected = 0;
  const std::string_view tag = PQcmdStatus(result.get());
  if (tag.starts_with("INSERT") || tag.starts_with("UPDATE") || tag.starts_with("DELETE") ||
      tag.starts_with("MERGE")) {
    const char* text = PQcmdTuples(result.get());
    if (text != nullptr && *text != '\0') affected = std::strtoll(text, nullptr, 10);
  }
  // The cells stay in the PGresult and are decoded when read (no Value per cell, no second copy).
  ResultSet rs = nrows == 0 ? ResultSet(std::move(columns))
                            : ResultSet(std::move(columns),
                                        std::make_shared<const PgResultSource>(std::move(result), std::move(kinds), nrows),
                                        static_cast<size_t>(nrows));
  rs.set_rows_affected(affected);
  return rs;
}

absl::StatusOr<ResultSet> PostgresConnection::ExecuteStatement(PostgresStatement* st, store::Params params) {
  if (static_cast<int>(params.size()) != st->param_count_) {
    return absl::InvalidArgumentError(absl::StrCat("execute: parameter count is wrong (got ", params.size(),
                                                   ", want ", st->param_count_, ") in: ",
                                                   ToAbsl(st->sql_.substr(0, 200))));
  }
  Bound bound;
  DAIRA_RETURN_IF_ERROR(bound.Bind(params));
  PostgresStatement::Variant* v = VariantFor(st, bound.types, params);
  if (!v->prepared) {
    // Parse + Bind/Execute in one pipeline: a new statement still costs one round trip.
    PostgresStatement* one[] = {st};
    store::Params p[] = {params};
    DAIRA_ASSIGN_OR_RETURN(std::vector<ResultSet> results, RunPipeline(one, p));
    return std::move(results[0]);
  }
  if (broken_ || PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    return absl::UnavailableError("execute: postgres connection is broken");
  }
  StartOperation();
  if (bound_ <= SteadyClock::now()) return DeadlineError("execute", st->sql_);
  ++round_trips_;
  ++statements_executed_;
  if (PQsendQueryPrepared(conn_, v->name.c_str(), static_cast<int>(params.size()), bound.values.data(),
                          bound.length_data(), bound.format_data(), v->binary_results ? 1 : 0) != 1) {
    broken_ = true;
    return ErrorFrom(nullptr, st->sql_);
  }
  DAIRA_RETURN_IF_ERROR(Flush("execute", st->sql_));
  DAIRA_ASSIGN_OR_RETURN(PGresult * raw, CollectResults("execute", st->sql_));
  ResultPtr result(raw);
  if (result == nullptr) return ErrorFrom(nullptr, st->sql_);
  absl::StatusOr<ResultSet> rs = ToResultSet(result.release(), st->sql_, v);
  const std::string state = rs.ok() ? std::string() : store::StatusSqlState(rs.status());
  if (state == "26000" && (broken_ || InTransaction())) {
    // The server forgot the statement (DISCARD ALL, a pooler): prepare it again next time; the
    // transaction is aborted, so Aborted (from the SQLSTATE table) retries the whole of it.
    Forget(st);
  }
  if ((state == "0A000" || state == "26000") && !broken_ && !InTransaction()) {
    if (state == "26000") {
      Forget(st);
    } else {
      Invalidate(st);
    }
    PostgresStatement* one[] = {st};
    store::Params p[] = {params};
    DAIRA_ASSIGN_OR_RETURN(std::vector<ResultSet> results, RunPipeline(one, p, /*retry=*/false));
    return std::move(results[0]);
  }
  return rs;
}

void PostgresConnection::Invalidate(PostgresStatement* st) {
  for (PostgresStatement::Variant& v : st->variants_) {
    if (v.prepared) pending_deallocate_.push_back(v.name);
  }
  Forget(st);
  FlushDeallocations();
}

void PostgresConnection::Forget(PostgresStatement* st) {
  for (PostgresStatement::Variant& v : st->variants_) {
    v.prepared = false;
    v.name = absl::StrCat("d", next_statement_id_++);
    v.columns.reset();
    v.binary_results = false;
  }
}

absl::StatusOr<std::vector<ResultSet>> PostgresConnection::ExecuteBatch(
    std::span<const store::BatchStatement> batch) {
  std::vector<PostgresStatement*> statements;
  std::vector<store::Params> params;
  statements.reserve(batch.size());
  params.reserve(batch.size());
  for (const store::BatchStatement& b : batch) {
    DAIRA_ASSIGN_OR_RETURN(store::Statement * st, Prepare(b.sql));
    statements.push_back(static_cast<PostgresStatement*>(st));
    params.emplace_back(b.params.data(), b.params.size());
  }
  if (statements.empty()) return std::vector<ResultSet>();
  return RunPipeline(statements, params);
}

absl::StatusOr<std::vector<ResultSet>> PostgresConnection::RunPipeline(std::span<PostgresStatement* const> statements,
                                                                       std::span<const store::Params> params,
                                                                       bool retry) {
  const size_t n = statements.size();
  for (size_t i = 0; i < n; ++i) {
    if (static_cast<int>(params[i].size()) != statements[i]->param_count_) {
      return absl::InvalidArgumentError(
          absl::StrCat("execute batch: statement ", i, " parameter count is wrong (got ", params[i].size(),
                       ", want ", statements[i]->param_count_, ") in: ",
                       ToAbsl(statements[i]->sql_.substr(0, 200))));
    }
  }
  if (broken_ || PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    return absl::UnavailableError("execute: postgres connection is broken");
  }
  std::vector<Bound> bound(n);
  for (size_t i = 0; i < n; ++i) DAIRA_RETURN_IF_ERROR(bound[i].Bind(params[i]));
  StartOperation();
  const std::string_view op = n == 1 ? "execute" : "execute batch";
  if (bound_ <= SteadyClock::now()) return DeadlineError(op, statements[0]->sql_);
  // Outside an explicit transaction the whole pipeline (one Sync) is one implicit transaction.
  const bool in_transaction = InTransaction();

  struct Command {
    bool prepare;  // Parse of `variant`, else Bind/Execute of statement `index`
    size_t index;
    PostgresStatement::Variant* variant;
  };
  std::vector<Command> commands;
  commands.reserve(2 * n);
  absl::flat_hash_set<PostgresStatement::Variant*> parsing;  // Parse sent in this pipeline

  if (PQenterPipelineMode(conn_) != 1) return ErrorFrom(nullptr, "");
  absl::Status send_error;
  for (size_t i = 0; i < n && send_error.ok(); ++i) {
    PostgresStatement* st = statements[i];
    PostgresStatement::Variant* v = VariantFor(st, bound[i].types, params[i]);
    const int nparams = static_cast<int>(params[i].size());
    if (!v->prepared && !parsing.contains(v)) {
      ++prepares_;
      if (PQsendPrepare(conn_, v->name.c_str(), st->pg_sql_.c_str(), nparams, v->prepare_types.data()) != 1) {
        send_error = ErrorFrom(nullptr, st->sql_);
        break;
      }
      parsing.insert(v);
      commands.push_back({true, i, v});
    }
    if (PQsendQueryPrepared(conn_, v->name.c_str(), nparams, bound[i].values.data(), bound[i].length_data(),
                            bound[i].format_data(), v->binary_results ? 1 : 0) != 1) {
      send_error = ErrorFrom(nullptr, st->sql_);
      break;
    }
    ++statements_executed_;
    commands.push_back({false, i, v});
  }
  if (send_error.ok() && PQpipelineSync(conn_) != 1) send_error = ErrorFrom(nullptr, "");
  if (!send_error.ok()) {
    // A failed send means the socket is gone; nothing more can be read.
    broken_ = true;
    return send_error;
  }
  ++round_trips_;
  if (absl::Status flushed = Flush(op, statements[0]->sql_); !flushed.ok()) return flushed;

  std::vector<ResultSet> results(n);
  absl::Status first_error;
  size_t failed_index = n;
  PostgresStatement::Variant* failed_parse = nullptr;  // set when the first error is a Parse
  bool failed_cached = false;  // the first error came from a statement prepared before this pipeline
  size_t cmd = 0;
  bool got_result = false;  // a result arrived for commands[cmd]
  int idle_nulls = 0;
  while (true) {
    const std::string& current = statements[cmd < commands.size() ? commands[cmd].index : 0]->sql_;
    if (absl::Status ready = AwaitResult(op, current); !ready.ok()) {
      // Interrupted at the bound (the pipeline was drained and left) or the connection was lost. The
      // statements parsed in this pipeline may or may not exist on the server: give them new names.
      for (PostgresStatement::Variant* v : parsing) {
        if (!v->prepared) v->name = absl::StrCat("d", next_statement_id_++);
      }
      if (broken_ && PQpipelineStatus(conn_) != PQ_PIPELINE_OFF) PQexitPipelineMode(conn_);
      return ready;
    }
    ResultPtr r(PQgetResult(conn_));
    if (r == nullptr) {
      if (got_result) {
        ++cmd;
        got_result = false;
        idle_nulls = 0;
        continue;
      }
      if (PQstatus(conn_) != CONNECTION_OK || ++idle_nulls > 2) {
        broken_ = true;
        if (first_error.ok()) first_error = ErrorFrom(nullptr, "");
        if (failed_index == n) failed_index = 0;
        break;
      }
      continue;
    }
    const ExecStatusType status = PQresultStatus(r.get());
    if (status == PGRES_PIPELINE_SYNC) break;
    got_result = true;
    idle_nulls = 0;
    if (cmd >= commands.size() || status == PGRES_PIPELINE_ABORTED) continue;
    const Command& c = commands[cmd];
    const std::string& sql = statements[c.index]->sql_;
    if (c.prepare) {
      if (status == PGRES_COMMAND_OK) {
        c.variant->prepared = true;
      } else if (first_error.ok()) {
        first_error = ErrorFrom(r.get(), sql);
        failed_index = c.index;
        failed_parse = c.variant;
      }
      continue;
    }
    absl::StatusOr<ResultSet> rs = ToResultSet(r.release(), sql, c.variant);
    if (rs.ok()) {
      results[c.index] = *std::move(rs);
    } else if (first_error.ok()) {
      first_error = rs.status();
      failed_index = c.index;
      failed_cached = !parsing.contains(c.variant);
    }
  }
  if (PQexitPipelineMode(conn_) != 1) {
    broken_ = true;
    if (first_error.ok()) first_error = ErrorFrom(nullptr, "");
  }
  if (first_error.ok()) return results;
  if (store::StatusSqlState(first_error) == "26000" && failed_index < n) {
    // The server forgot a cached statement (DISCARD ALL, a pooler): prepare it again; outside a
    // transaction rerun at once (the implicit transaction rolled back), inside one Aborted retries it.
    Forget(statements[failed_index]);
    if (retry && !in_transaction && !broken_) return RunPipeline(statements, params, /*retry=*/false);
    return first_error;
  }
  if (retry && failed_cached && !in_transaction && !broken_ && store::StatusSqlState(first_error) == "0A000") {
    // A schema change altered a cached statement's result columns; everything before it was rolled back.
    Invalidate(statements[failed_index]);
    return RunPipeline(statements, params, /*retry=*/false);
  }
  if (failed_parse != nullptr && !failed_parse->inferred && !in_transaction && !broken_) {
    const std::string state = store::StatusSqlState(first_error);
    if (state == "42804" || state == "42883" || state == "42725") {
      // The explicit parameter types did not fit (e.g. int8 into a BOOLEAN column): let the server infer
      // them (blobs stay bytea: they are sent in binary) and run the whole pipeline again — its implicit
      // transaction rolled back everything.
      failed_parse->inferred = true;
      for (Oid& t : failed_parse->prepare_types) {
        if (t != kByteaOid) t = 0;
      }
      return RunPipeline(statements, params, retry);
    }
  }
  // The failed implicit transaction rolled back the statements before the failure; the contract
  // says they have run, so run them again (an explicit transaction is simply left aborted).
  if (!in_transaction && !broken_ && failed_index > 0 && failed_index < n) {
    DAIRA_RETURN_IF_ERROR(
        RunPipeline(statements.first(failed_index), params.first(failed_index), /*retry=*/false).status());
  }
  return first_error;
}

absl::Status PostgresConnection::ExecSimple(std::string_view sql, pg_result** out, bool request_deadline) {
  if (broken_ || PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    return absl::UnavailableError(absl::StrCat("postgres: connection is broken (", ToAbsl(sql.substr(0, 200)), ")"));
  }
  StartOperation(request_deadline);
  const std::string_view op = sql == "COMMIT"     ? "commit"
                              : sql == "SELECT 1" ? "ping"
                              : sql == "ROLLBACK" ? "rollback"
                                                  : "execute";
  if (bound_ <= SteadyClock::now()) return DeadlineError(op, sql);
  ++round_trips_;
  ++statements_executed_;
  std::string text(sql);
  if (PQsendQuery(conn_, text.c_str()) != 1) {
    broken_ = true;
    return ErrorFrom(nullptr, sql);
  }
  DAIRA_RETURN_IF_ERROR(Flush(op, sql));
  DAIRA_ASSIGN_OR_RETURN(PGresult * raw, CollectResults(op, sql));
  ResultPtr r(raw);
  if (r == nullptr) return ErrorFrom(nullptr, sql);
  ExecStatusType status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
    return ErrorFrom(r.get(), sql);
  }
  if (out != nullptr) *out = r.release();
  return absl::OkStatus();
}

absl::Status PostgresConnection::ExecuteScript(std::string_view sql) { return ExecSimple(sql); }

absl::Status PostgresConnection::Begin(store::IsolationLevel isolation, bool /*immediate*/) {
  return ExecSimple(IsolationSql(isolation));
}

absl::Status PostgresConnection::Commit() {
  pg_result* raw = nullptr;
  interrupted_ok_ = false;
  // A session already lost before COMMIT is sent took its transaction with it: that outcome is known.
  const bool lost_before = broken_ || PQstatus(conn_) != CONNECTION_OK;
  absl::Status st = ExecSimple("COMMIT", &raw);
  if (!st.ok()) {
    // Stopped at the deadline, but the COMMIT finished before the cancel: it committed.
    if (st.code() == absl::StatusCode::kDeadlineExceeded && interrupted_ok_ && !broken_) return absl::OkStatus();
    if (broken_ && !lost_before) {
      // The session was lost while COMMIT was (or may have been) on its way: it may have committed.
      return store::CommitOutcomeUnknown(st);
    }
    return st;
  }
  ResultPtr r(raw);
  // COMMIT of a transaction that already failed succeeds with the tag ROLLBACK.
  if (std::strcmp(PQcmdStatus(r.get()), "ROLLBACK") == 0) {
    return absl::FailedPreconditionError(
        "commit: transaction was rolled back because an earlier statement in it failed");
  }
  return absl::OkStatus();
}

// A rollback is cleanup: it runs even after the request's deadline (bounded by statement_timeout), so
// the connection goes back to the pool clean instead of being discarded.
absl::Status PostgresConnection::Rollback() { return ExecSimple("ROLLBACK", nullptr, /*request_deadline=*/false); }

bool PostgresConnection::InTransaction() const {
  PGTransactionStatusType s = PQtransactionStatus(conn_);
  return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
}

absl::Status PostgresConnection::Ping() { return ExecSimple("SELECT 1"); }

bool PostgresConnection::IsBroken() const { return broken_ || PQstatus(conn_) != CONNECTION_OK; }

absl::StatusOr<std::string> PostgresConnection::WritePosition() {
  DAIRA_ASSIGN_OR_RETURN(store::Statement * st, Prepare("SELECT pg_current_wal_lsn()::text"));
  DAIRA_ASSIGN_OR_RETURN(ResultSet rs, st->Execute(store::Params()));
  if (rs.empty() || rs.at(0, 0).is_null()) return absl::InternalError("write position: no WAL position returned");
  return rs.at(0, 0).text();
}

absl::StatusOr<bool> PostgresConnection::HasReplayed(std::string_view position) {
  if (position.empty()) return true;
  DAIRA_ASSIGN_OR_RETURN(store::Statement * st,
                         Prepare("SELECT CASE WHEN pg_is_in_recovery() "
                                 "THEN coalesce(pg_last_wal_replay_lsn() >= ?::pg_lsn, false) ELSE true END"));
  Value p[] = {Value(position)};
  DAIRA_ASSIGN_OR_RETURN(ResultSet rs, st->Execute(store::Params(p)));
  return !rs.empty() && !rs.at(0, 0).is_null() && rs.at(0, 0).int64() != 0;
}

absl::StatusOr<int64_t> PostgresConnection::ReplicaLagMillis() {
  DAIRA_ASSIGN_OR_RETURN(
      store::Statement * st,
      Prepare("SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0 "
              "WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
              "ELSE coalesce((extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000)::bigint, 0) "
              "END::bigint"));
  DAIRA_ASSIGN_OR_RETURN(ResultSet rs, st->Execute(store::Params()));
  if (rs.empty() || rs.at(0, 0).is_null()) return int64_t{0};
  return std::max<int64_t>(0, rs.at(0, 0).int64());
}

}  // namespace daira::inline v0::backends
