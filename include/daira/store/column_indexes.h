// Column names resolved to indexes once per result shape, so a row reader looks each column up by
// position instead of comparing names on every row.
//
//   static constexpr std::string_view kNames[] = {"id", "author_id", "content"};
//   store::ColumnIndexes cols(kNames);        // one per call (or per reader object)
//   for (const store::Row& row : rs) {
//     DAIRA_RETURN_IF_ERROR(cols.Bind(row));  // resolves on the first row of a shape; then a pointer compare
//     DAIRA_ASSIGN_OR_RETURN(int64_t id, row.CheckedInt64(cols[0]));
//     std::string content = row.Text(cols[2]);
//   }
//
// A shape is the result's column-name vector, shared by every result of one prepared statement, and the
// binding holds a reference to it, so a new statement's vector can never be mistaken for the old one.
// Thread-compatible: one ColumnIndexes per thread (it is small; make one per call).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "daira/store/result_set.h"

namespace daira::inline v0::store {

class ColumnIndexes {
 public:
  // `names` must outlive this object (string literals, or a static array of them).
  explicit ColumnIndexes(std::span<const std::string_view> names) : names_(names), indexes_(names.size(), -1) {}

  // Binds to `row`'s result shape. Internal naming the first column of `names` the result lacks (a
  // query/reader mismatch, a bug); OK at once when the shape is the one already bound.
  absl::Status Bind(const Row& row) {
    const auto& shape = row.result().shared_columns();
    if (shape == bound_) return absl::OkStatus();
    return Resolve(shape);
  }

  // The index of names[i] in the bound result. Precondition: Bind succeeded.
  int operator[](size_t i) const { return indexes_[i]; }

 private:
  absl::Status Resolve(const std::shared_ptr<const std::vector<std::string>>& shape);

  std::span<const std::string_view> names_;
  std::vector<int> indexes_;
  std::shared_ptr<const std::vector<std::string>> bound_;
};

}  // namespace daira::inline v0::store
