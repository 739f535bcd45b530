#include "daira/store/cursor_keys.h"

#include "absl/strings/str_cat.h"
#include "daira/core/status.h"
#include "daira/store/database.h"
#include "store/instance_internal.h"

namespace daira::inline v0::store {
namespace {

constexpr std::string_view kTable = "cursor_keys";

absl::Status RequireTable(Database& db, const RequestContext& ctx, std::string_view op) {
  DAIRA_ASSIGN_OR_RETURN(bool exists, internal::TableExists(db, ctx, kTable));
  if (!exists) return internal::MissingTable(op, kTable);
  return absl::OkStatus();
}

CursorKey FromRow(const Row& r) {
  CursorKey k;
  k.id = r.Int64(0);
  k.secret = r.Blob(1);
  k.created_at = FromUnixMicros(r.Int64(2));
  if (!r.IsNull(3)) k.retired_at = FromUnixMicros(r.Int64(3));
  return k;
}

absl::Status CheckSecret(const CursorKey& k) {
  if (k.secret.size() != CursorKeys::kKeyBytes) {
    return absl::DataLossError(absl::StrCat("cursor keys: cursor_keys.secret of key ", k.id, " is ",
                                            k.secret.size(), " bytes, want ", CursorKeys::kKeyBytes));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CursorKeys::Ensure(Database& db, const RequestContext& ctx, const Clock* clock) {
  DAIRA_RETURN_IF_ERROR(RequireTable(db, ctx, "cursor keys: ensure"));
  if (clock == nullptr) clock = Clock::System();
  DAIRA_ASSIGN_OR_RETURN(ResultSet any, db.Execute(ctx, "SELECT 1 FROM cursor_keys LIMIT 1"));
  if (!any.empty()) return absl::OkStatus();
  // Concurrent first openers all try id 1; exactly one insert wins, the others do nothing.
  return db
      .Execute(ctx, "INSERT INTO cursor_keys (id, secret, created_at) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING",
               {Value::Blob(internal::RandomBytes(kKeyBytes)), ToUnixMicros(clock->Now())})
      .status();
}

absl::StatusOr<std::vector<CursorKey>> CursorKeys::List(Database& db, const RequestContext& ctx) {
  DAIRA_RETURN_IF_ERROR(RequireTable(db, ctx, "cursor keys: list"));
  DAIRA_ASSIGN_OR_RETURN(ResultSet rs,
                         db.Execute(ctx, "SELECT id, secret, created_at, retired_at FROM cursor_keys ORDER BY id DESC"));
  std::vector<CursorKey> out;
  for (const Row& r : rs) {
    out.push_back(FromRow(r));
    DAIRA_RETURN_IF_ERROR(CheckSecret(out.back()));
  }
  return out;
}

absl::StatusOr<std::vector<CursorKey>> CursorKeys::Load(Database& db, const RequestContext& ctx,
                                                        Clock::TimePoint now, std::chrono::milliseconds grace) {
  DAIRA_ASSIGN_OR_RETURN(std::vector<CursorKey> all, List(db, ctx));
  std::vector<CursorKey> out;
  for (size_t i = 0; i < all.size(); ++i) {
    // The newest key signs whatever its retired_at says; an older one verifies within its grace.
    if (i == 0 || (all[i].retired_at.has_value() && *all[i].retired_at + grace > now)) {
      out.push_back(std::move(all[i]));
    }
  }
  return out;
}

absl::StatusOr<CursorKey> CursorKeys::Rotate(Database& db, const RequestContext& ctx, const Clock* clock) {
  DAIRA_RETURN_IF_ERROR(RequireTable(db, ctx, "cursor keys: rotate"));
  if (clock == nullptr) clock = Clock::System();
  CursorKey fresh;
  absl::Status s = db.RunInTransaction(ctx, [&](Connection& c) -> absl::Status {
    const int64_t now = ToUnixMicros(clock->Now());
    DAIRA_ASSIGN_OR_RETURN(ResultSet top, c.Execute("SELECT coalesce(max(id), 0) FROM cursor_keys"));
    const int64_t current = top.front().Int64(0);
    fresh = CursorKey{.id = current + 1,
                      .secret = internal::RandomBytes(kKeyBytes),
                      .created_at = FromUnixMicros(now),
                      .retired_at = std::nullopt};
    // A concurrent rotation inserting the same id makes this insert fail (AlreadyExists → Aborted).
    absl::Status inserted =
        c.Execute("INSERT INTO cursor_keys (id, secret, created_at) VALUES (?, ?, ?)",
                  {fresh.id, Value::Blob(fresh.secret), now})
            .status();
    if (absl::IsAlreadyExists(inserted)) {
      return absl::AbortedError("cursor keys: rotate: another rotation committed concurrently; retry");
    }
    DAIRA_RETURN_IF_ERROR(inserted);
    return c.Execute("UPDATE cursor_keys SET retired_at = ? WHERE id < ? AND retired_at IS NULL", {now, fresh.id})
        .status();
  });
  if (!s.ok()) return s;
  return fresh;
}

}  // namespace daira::inline v0::store
