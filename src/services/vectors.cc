#include "daira/services/vectors.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daira/cache/typed.h"
#include "daira/core/status.h"
#include "daira/store/open_transaction.h"

namespace daira::inline v0::services {

namespace {

// vector:{user} holds "user_vector:v1:" then "-" (no embedding stored) or "+" and the packed floats.
constexpr std::string_view kTag = "user_vector";
constexpr int kVersion = 1;

std::string VectorKey(int64_t user_id) { return absl::StrCat("vector:", user_id); }

absl::Status UserNotFound(UserId id) {
  return absl::NotFoundError(absl::StrCat("vectors: user ", id.value, " not found"));
}

// Little-endian float32, whatever the host's byte order (the column's documented format).
std::string Pack(std::span<const float> values) {
  std::string out(values.size() * 4, '\0');
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t bits = 0;
    std::memcpy(&bits, &values[i], 4);
    for (int b = 0; b < 4; ++b) out[i * 4 + b] = static_cast<char>((bits >> (8 * b)) & 0xff);
  }
  return out;
}

std::optional<std::vector<float>> Unpack(std::string_view bytes) {
  if (bytes.size() % 4 != 0) return std::nullopt;
  std::vector<float> out(bytes.size() / 4);
  for (size_t i = 0; i < out.size(); ++i) {
    uint32_t bits = 0;
    for (int b = 0; b < 4; ++b)
      bits |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i * 4 + b])) << (8 * b);
    std::memcpy(&out[i], &bits, 4);
  }
  return out;
}

std::string Encode(const std::optional<std::vector<float>>& v) {
  return cache::Frame(kTag, kVersion, v.has_value() ? "+" + Pack(*v) : std::string("-"));
}

// nullopt: not a value of this version (a miss); else the stored state (itself optional).
std::optional<std::optional<std::vector<float>>> Decode(std::string_view bytes) {
  std::optional<std::string_view> body = cache::Unframe(kTag, kVersion, bytes);
  if (!body.has_value() || body->empty()) return std::nullopt;
  if (*body == "-") return std::optional<std::vector<float>>();
  if ((*body)[0] != '+') return std::nullopt;
  std::optional<std::vector<float>> v = Unpack(body->substr(1));
  if (!v.has_value() || v->empty()) return std::nullopt;
  return v;
}

absl::StatusOr<std::optional<std::vector<float>>> LoadOn(store::Connection& c, UserId user) {
  DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, c.Execute("SELECT e.embedding AS embedding FROM users u "
                                                        "LEFT JOIN user_embeddings e ON e.user_id = u.id "
                                                        "WHERE u.id = ? AND u.status <> 'DELETED'",
                                                        {user.value}));
  if (rs.empty()) return UserNotFound(user);
  if (rs.front().IsNull("embedding")) return std::optional<std::vector<float>>();
  std::optional<std::vector<float>> v = Unpack(rs.front().Blob("embedding"));
  if (!v.has_value()) {
    return absl::DataLossError(
        absl::StrCat("vectors: user ", user.value, ": stored embedding is not float32"));
  }
  return v;
}

void InvalidateAfterCommit(const ServiceDeps& deps, const RequestContext& ctx, UserId user) {
  if (deps.cache == nullptr) return;
  cache::Cache* cache = deps.cache;
  std::vector<std::string> keys = {VectorKey(user.value)};
  store::AfterCommit(ctx, [cache, keys = std::move(keys)] { cache->Invalidate(keys).IgnoreError(); });
}

}  // namespace

absl::StatusOr<std::optional<std::vector<float>>> Vectors::Get(const RequestContext& ctx, UserId user) const {
  // As profiles: a value that may go into the shared cache is read from the primary on Postgres.
  const store::Access access = deps_.cache != nullptr && deps_.db->backend() == store::Backend::kPostgres
                                   ? store::Access::kWrite
                                   : store::Access::kRead;
  auto load = [&]() -> absl::StatusOr<std::optional<std::vector<float>>> {
    return store::WithConnection(*deps_.db, ctx, access,
                                 [&](store::Connection& c) { return LoadOn(c, user); });
  };
  if (deps_.cache == nullptr) return load();
  // Inside a transaction the transaction's own view is the truth (read-your-writes): no cache.
  absl::StatusOr<store::Connection*> bound = store::BoundConnection(ctx, "vectors: get");
  if (!bound.ok() || *bound != nullptr) return load();
  std::optional<std::optional<std::vector<float>>> loaded_here;
  absl::StatusOr<std::string> bytes = deps_.cache->ReadThrough(
      VectorKey(user.value),
      [&]() -> absl::StatusOr<std::string> {
        DAIRA_ASSIGN_OR_RETURN(std::optional<std::vector<float>> v, load());
        std::string encoded = Encode(v);
        loaded_here = std::move(v);
        return encoded;
      },
      cache::kPolicyTtl, [](std::string_view b) { return Decode(b).has_value(); });
  if (!bytes.ok()) return bytes.status();
  if (loaded_here.has_value()) return *std::move(loaded_here);
  if (std::optional<std::optional<std::vector<float>>> v = Decode(*bytes)) return *std::move(v);
  return load();  // undecodable bytes (never expected): the database answers
}

absl::Status Vectors::Put(const RequestContext& ctx, UserId user, std::span<const float> embedding) const {
  if (embedding.empty() || embedding.size() > kMaxEmbeddingDims) {
    return InvalidField(
        "vectors: put", "embedding",
        absl::StrCat("must hold 1 to ", kMaxEmbeddingDims, " values (got ", embedding.size(), ")"));
  }
  for (size_t i = 0; i < embedding.size(); ++i) {
    if (!std::isfinite(embedding[i])) {
      return InvalidField("vectors: put", "embedding",
                          absl::StrCat("must hold finite values (got ", embedding[i], " at index ", i, ")"));
    }
  }
  const int64_t now = deps_.NowMicros();
  return store::WithConnection(
      *deps_.db, ctx, store::Access::kWrite, [&](store::Connection& c) -> absl::Status {
        // One statement: the user's existence is the INSERT's condition, so a deleted user writes nothing.
        DAIRA_ASSIGN_OR_RETURN(
            store::ResultSet rs,
            c.Execute(
                "INSERT INTO user_embeddings (user_id, dims, embedding, updated_at) "
                "SELECT id, ?, ?, ? FROM users WHERE id = ? AND status <> 'DELETED' "
                "ON CONFLICT (user_id) DO UPDATE SET dims = excluded.dims, embedding = excluded.embedding, "
                "updated_at = excluded.updated_at",
                {static_cast<int64_t>(embedding.size()), store::Value::Blob(Pack(embedding)), now,
                 user.value}));
        if (rs.rows_affected() == 0) return UserNotFound(user);
        InvalidateAfterCommit(deps_, ctx, user);
        return absl::OkStatus();
      });
}

absl::StatusOr<bool> Vectors::Delete(const RequestContext& ctx, UserId user) const {
  return store::WithConnection(
      *deps_.db, ctx, store::Access::kWrite, [&](store::Connection& c) -> absl::StatusOr<bool> {
        DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs,
                               c.Execute("DELETE FROM user_embeddings WHERE user_id = ?", {user.value}));
        InvalidateAfterCommit(deps_, ctx, user);
        return rs.rows_affected() > 0;
      });
}

}  // namespace daira::inline v0::services
