#include "daira/query/batch_loader.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace daira::inline v0::query {

absl::StatusOr<LoadedRows> LoadRows(store::Connection& conn, std::string_view sql_prefix,
                                    std::span<const int64_t> ids, const LoadManyOptions& options) {
  LoadedRows out;
  // Distinct ids in caller order; index[id] = position in out.ids.
  absl::flat_hash_map<int64_t, size_t> index;
  index.reserve(ids.size());
  out.ids.reserve(ids.size());
  for (int64_t id : ids) {
    if (index.emplace(id, out.ids.size()).second) out.ids.push_back(id);
  }
  out.where.assign(out.ids.size(), std::nullopt);
  if (out.ids.empty()) return out;

  if (options.id_column.empty()) return InvalidField("load many", "id_column", "is empty (got \"\")");
  std::string_view id_result = options.id_column;
  if (const size_t dot = id_result.rfind('.'); dot != std::string_view::npos) id_result = id_result.substr(dot + 1);

  const std::string sql = absl::StrCat(ToAbsl(sql_prefix), " ", conn.dialect().InArray(options.id_column));
  const size_t chunk = std::max<size_t>(1, options.max_ids_per_statement);
  std::vector<store::Value> params = options.params;
  params.emplace_back();  // the id array, replaced per chunk
  for (size_t begin = 0; begin < out.ids.size(); begin += chunk) {
    const size_t end = std::min(out.ids.size(), begin + chunk);
    params.back() = store::Value(std::vector<int64_t>(out.ids.begin() + begin, out.ids.begin() + end));
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, conn.Execute(sql, params));
    const size_t c = out.chunks.size();
    if (!rs.empty()) {
      std::optional<int> col = rs.ColumnIndex(id_result);
      if (!col.has_value()) {
        return InvalidField("load many", "id_column",
                            absl::StrCat("is not a column of the result (got \"", ToAbsl(id_result), "\")"));
      }
      for (size_t r = 0; r < rs.size(); ++r) {
        auto it = index.find(rs.row(r).Int64(*col));
        if (it == index.end()) continue;  // not asked for (a prefix that matches more)
        auto& slot = out.where[it->second];
        if (!slot.has_value()) slot = std::make_pair(c, r);  // first row wins (joins may repeat an id)
      }
    }
    out.chunks.push_back(std::move(rs));
  }
  return out;
}

}  // namespace daira::inline v0::query
