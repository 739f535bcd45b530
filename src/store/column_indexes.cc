#include "daira/store/column_indexes.h"

#include "absl/strings/str_cat.h"
#include "daira/core/status.h"

namespace daira::inline v0::store {

absl::Status ColumnIndexes::Resolve(const std::shared_ptr<const std::vector<std::string>>& shape) {
  const std::vector<std::string>& columns = *shape;
  for (size_t i = 0; i < names_.size(); ++i) {
    int found = -1;
    for (size_t c = 0; c < columns.size(); ++c) {
      if (columns[c] == names_[i]) {
        found = static_cast<int>(c);
        break;
      }
    }
    if (found < 0) {
      bound_.reset();
      return absl::InternalError(absl::StrCat("row: no column ", ToAbsl(names_[i]), " in this result"));
    }
    indexes_[i] = found;
  }
  bound_ = shape;
  return absl::OkStatus();
}

}  // namespace daira::inline v0::store
