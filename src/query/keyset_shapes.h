// The shapes of one paged list, each made once (query::KeysetShape): a service keeps one KeysetShapes per
// list, as a function-local static, and asks it for the shape of the variant a call needs (the backend,
// whether a viewer filter applies, ...) by a small integer key. The list's select text is then built
// and planned on the first call of each variant only; later calls pass their scope and parameter values.
//
//   static auto* shapes = new query::KeysetShapes();
//   query::KeysetQuery q{.scope = absl::StrCat("timeline:", author), .params = {author}};
//   DAIRA_ASSIGN_OR_RETURN(q.shape, shapes->Get(variant, q.params.size(), [&] {
//     return query::KeysetQuery{.select = "SELECT ... FROM posts p", .where = "p.author_id = ?",
//                               .keys = {{"p.id"}}};
//   }));
//
// Thread-safety: Get may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "daira/query/keyset.h"

namespace daira::inline v0::query {

class KeysetShapes {
 public:
  // The shape of `variant`, made on its first use from `make()`'s select, where, keys, order and hydrate
  // with `param_count` parameters (every call of one variant passes that many). InvalidArgument from
  // KeysetShape::Create for a malformed query; a failed variant is made again on its next use.
  absl::StatusOr<std::shared_ptr<const KeysetShape>> Get(uint64_t variant, size_t param_count,
                                                         absl::FunctionRef<KeysetQuery()> make) {
    {
      absl::ReaderMutexLock lock(&mu_);
      if (auto it = shapes_.find(variant); it != shapes_.end()) return it->second;
    }
    KeysetQuery query = make();
    query.params.resize(param_count);  // Create reads their number only
    DAIRA_ASSIGN_OR_RETURN(std::shared_ptr<const KeysetShape> shape, KeysetShape::Create(query));
    absl::MutexLock lock(&mu_);
    return shapes_.try_emplace(variant, std::move(shape)).first->second;
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<uint64_t, std::shared_ptr<const KeysetShape>> shapes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace daira::inline v0::query
