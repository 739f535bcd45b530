// Users' recommendation embeddings (services::Vectors; docs/cache.md) behind JSON calls: get, put,
// delete. Values cross as JSON numbers and are stored as float32; a read prints each one as the
// shortest decimal that parses back to the same float32 (0.1 is read back as 0.1, not as
// 0.10000000149011612). Transactional like every
// service call: on a transaction handle they run inside it (the cache is bypassed there, and the
// cached `vector:{user}` is invalidated after the commit).
#include "daira/services/vectors.h"

#include <cfloat>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "internal.h"

using daira::JsonWriter;

namespace {
using daira::cabi::Request;

int64_t RequiredUser(Request& r) {
  const int64_t user = r.Id("user_id");
  if (!r.Has("user_id")) r.Fail("user_id", "is required");
  return user;
}

}  // namespace

DAIRA_CABI_CALL(daira_vectors_get, "vectors.get") {
  const int64_t user = RequiredUser(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(std::optional<std::vector<float>> v, p.vectors().Get(ctx, daira::UserId{user}));
  JsonWriter w;
  w.BeginObject().Key("embedding");
  if (v.has_value()) {
    w.BeginArray();
    char buf[32];
    for (float x : *v) {  // finite (Put refuses the others): never "inf" or "nan"
      const std::to_chars_result end = std::to_chars(buf, buf + sizeof buf, x);
      w.Raw(std::string_view(buf, static_cast<size_t>(end.ptr - buf)));
    }
    w.EndArray();
  } else {
    w.Null();
  }
  w.EndObject();
  return w.Take();
}

DAIRA_CABI_CALL(daira_vectors_put, "vectors.put") {
  const int64_t user = RequiredUser(r);
  const std::optional<std::vector<double>> numbers = r.OptDoubleList("embedding");
  if (!numbers) r.Fail("embedding", "is required (an array of numbers)");
  std::vector<float> embedding;
  if (numbers) {
    embedding.reserve(numbers->size());
    for (size_t i = 0; i < numbers->size(); ++i) {
      const double d = (*numbers)[i];
      if (std::fabs(d) > static_cast<double>(FLT_MAX)) {
        r.Fail(absl::StrCat("embedding[", i, "]"), absl::StrCat("must fit in float32 (got ", d, ")"));
        break;
      }
      embedding.push_back(static_cast<float>(d));
    }
  }
  DAIRA_CABI_CHECK(r);
  DAIRA_RETURN_IF_ERROR(p.vectors().Put(ctx, daira::UserId{user}, embedding));
  return daira::cabi::EmptyJson();
}

DAIRA_CABI_CALL(daira_vectors_delete, "vectors.delete") {
  const int64_t user = RequiredUser(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(bool removed, p.vectors().Delete(ctx, daira::UserId{user}));
  JsonWriter w;
  w.BeginObject().Key("deleted").Bool(removed).EndObject();
  return w.Take();
}
