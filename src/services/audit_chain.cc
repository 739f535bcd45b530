#include "services/audit_chain.h"

#include <sodium.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace daira::inline v0::services::internal {
namespace {

void Put(std::string& out, std::string_view v) {
  absl::StrAppend(&out, v.size(), ":");
  out.append(v.data(), v.size());
  out.push_back('|');
}
void Put(std::string& out, int64_t v) { Put(out, std::string_view(absl::StrCat(v))); }
template <typename T>
void PutOpt(std::string& out, const std::optional<T>& v) {
  if (v.has_value()) {
    Put(out, *v);
  } else {
    out.append("N|");
  }
}

}  // namespace

std::string AuditCanonical(const AuditChainFields& f) {
  std::string out;
  Put(out, f.seq);
  Put(out, f.id);
  PutOpt(out, f.actor_id);
  Put(out, std::string_view(f.action));
  Put(out, std::string_view(f.resource_type));
  PutOpt(out, f.resource_id);
  Put(out, std::string_view(f.changes));
  PutOpt(out, f.reason);
  PutOpt(out, f.ip_address);
  PutOpt(out, f.user_agent);
  PutOpt(out, f.correlation_id);
  Put(out, f.created_at);
  return out;
}

std::string AuditHash(std::string_view prev_hash, const AuditChainFields& f) {
  const std::string content = AuditCanonical(f);
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(prev_hash.data()), prev_hash.size());
  crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(content.data()), content.size());
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&st, digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

}  // namespace daira::inline v0::services::internal
