#include "daira/store/schema_info.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daira/core/status.h"

namespace daira::inline v0::store {
namespace {

ColumnType NormalizeSqlite(std::string declared) {
  std::string t = absl::AsciiStrToUpper(declared);
  if (t == "TEXT_ARRAY") return ColumnType::kArray;
  if (t == "TEXT_JSON") return ColumnType::kJson;
  // SQLite's affinity rules (https://sqlite.org/datatype3.html §3.1), in their order.
  if (absl::StrContains(t, "INT")) return ColumnType::kInteger;
  if (absl::StrContains(t, "CHAR") || absl::StrContains(t, "CLOB") || absl::StrContains(t, "TEXT")) {
    return ColumnType::kText;
  }
  if (t.empty() || absl::StrContains(t, "BLOB")) return ColumnType::kBlob;
  if (absl::StrContains(t, "REAL") || absl::StrContains(t, "FLOA") || absl::StrContains(t, "DOUB")) {
    return ColumnType::kReal;
  }
  return ColumnType::kOther;
}

ColumnType NormalizePostgres(const std::string& data_type, const std::string& udt) {
  if (data_type == "ARRAY") return ColumnType::kArray;
  if (udt == "int2" || udt == "int4" || udt == "int8") return ColumnType::kInteger;
  if (udt == "float4" || udt == "float8" || udt == "numeric") return ColumnType::kReal;
  if (udt == "text" || udt == "varchar" || udt == "bpchar") return ColumnType::kText;
  if (udt == "bytea") return ColumnType::kBlob;
  if (udt == "json" || udt == "jsonb") return ColumnType::kJson;
  return ColumnType::kOther;
}

absl::Status InspectSqlite(Connection& conn, SchemaInfo& out) {
  DAIRA_ASSIGN_OR_RETURN(ResultSet tables,
                         conn.Execute("SELECT name, type FROM pragma_table_list WHERE schema = 'main' "
                                      "AND name NOT LIKE 'sqlite_%' AND type IN ('table', 'virtual', 'shadow') "
                                      "ORDER BY name"));
  for (const Row& row : tables) {
    TableInfo t;
    t.name = row.Text(0);
    std::string type = row.Text(1);
    t.kind = type == "virtual" ? TableKind::kVirtual : type == "shadow" ? TableKind::kShadow : TableKind::kTable;
    DAIRA_ASSIGN_OR_RETURN(ResultSet cols, conn.Execute("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?) "
                                                        "ORDER BY cid",
                                                        {t.name}));
    for (const Row& c : cols) {
      ColumnInfo col;
      col.name = c.Text(0);
      col.declared_type = c.Text(1);
      col.type = NormalizeSqlite(col.declared_type);
      col.primary_key = c.Int64(3) > 0;
      col.nullable = c.Int64(2) == 0 && !col.primary_key;
      t.columns.push_back(std::move(col));
    }
    if (t.kind == TableKind::kTable) {
      // origin 'c' = CREATE INDEX; 'u' / 'pk' back constraints and are left out (see header).
      DAIRA_ASSIGN_OR_RETURN(ResultSet idx, conn.Execute("SELECT name, \"unique\", partial FROM pragma_index_list(?) "
                                                         "WHERE origin = 'c'",
                                                         {t.name}));
      for (const Row& i : idx) {
        out.indexes.push_back(IndexInfo{i.Text(0), t.name, i.Int64(1) != 0, i.Int64(2) != 0});
      }
    }
    out.tables.push_back(std::move(t));
  }
  return absl::OkStatus();
}

absl::Status InspectPostgres(Connection& conn, SchemaInfo& out) {
  DAIRA_ASSIGN_OR_RETURN(
      ResultSet tables,
      conn.Execute("SELECT table_name::text FROM information_schema.tables "
                   "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"));
  std::map<std::string, TableInfo> by_name;
  for (const Row& row : tables) by_name[row.Text(0)].name = row.Text(0);
  DAIRA_ASSIGN_OR_RETURN(
      ResultSet cols,
      conn.Execute("SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.udt_name::text, "
                   "CASE WHEN c.is_nullable = 'YES' THEN 1 ELSE 0 END, "
                   "CASE WHEN EXISTS (SELECT 1 FROM information_schema.key_column_usage k "
                   "  JOIN information_schema.table_constraints tc ON tc.constraint_name = k.constraint_name "
                   "   AND tc.table_schema = k.table_schema AND tc.table_name = k.table_name "
                   "  WHERE tc.constraint_type = 'PRIMARY KEY' AND k.table_schema = c.table_schema "
                   "   AND k.table_name = c.table_name AND k.column_name = c.column_name) THEN 1 ELSE 0 END "
                   "FROM information_schema.columns c WHERE c.table_schema = current_schema() "
                   "ORDER BY c.table_name, c.ordinal_position"));
  for (const Row& c : cols) {
    auto it = by_name.find(c.Text(0));
    if (it == by_name.end()) continue;  // a view
    ColumnInfo col;
    col.name = c.Text(1);
    std::string data_type = c.Text(2);
    col.declared_type = c.Text(3);  // "_text" / "_int8" for arrays
    col.type = NormalizePostgres(data_type, c.Text(3));
    col.primary_key = c.Int64(5) != 0;
    col.nullable = c.Int64(4) != 0 && !col.primary_key;
    it->second.columns.push_back(std::move(col));
  }
  for (auto& [name, t] : by_name) out.tables.push_back(std::move(t));
  DAIRA_ASSIGN_OR_RETURN(
      ResultSet idx,
      conn.Execute("SELECT ic.relname::text, t.relname::text, CASE WHEN i.indisunique THEN 1 ELSE 0 END, "
                   "CASE WHEN i.indpred IS NULL THEN 0 ELSE 1 END "
                   "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
                   "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
                   "WHERE n.nspname = current_schema() "
                   "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
                   "ORDER BY 1"));
  for (const Row& i : idx) out.indexes.push_back(IndexInfo{i.Text(0), i.Text(1), i.Int64(2) != 0, i.Int64(3) != 0});
  return absl::OkStatus();
}

}  // namespace

std::string_view ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kInteger: return "integer";
    case ColumnType::kReal: return "real";
    case ColumnType::kText: return "text";
    case ColumnType::kBlob: return "blob";
    case ColumnType::kArray: return "array";
    case ColumnType::kJson: return "json";
    case ColumnType::kOther: break;
  }
  return "other";
}

const ColumnInfo* TableInfo::FindColumn(std::string_view name) const {
  for (const ColumnInfo& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const TableInfo* SchemaInfo::FindTable(std::string_view name) const {
  for (const TableInfo& t : tables) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const IndexInfo* SchemaInfo::FindIndex(std::string_view name) const {
  for (const IndexInfo& i : indexes) {
    if (i.name == name) return &i;
  }
  return nullptr;
}

absl::StatusOr<SchemaInfo> InspectSchema(Database& db, const RequestContext& ctx) {
  auto lease = db.Acquire(ctx, Access::kWrite);
  if (!lease.ok()) return Annotate(lease.status(), "schema info");
  SchemaInfo out;
  absl::Status st = db.backend() == Backend::kSqlite ? InspectSqlite(**lease, out) : InspectPostgres(**lease, out);
  if (!st.ok()) return Annotate(st, "schema info");
  std::sort(out.tables.begin(), out.tables.end(), [](const TableInfo& a, const TableInfo& b) { return a.name < b.name; });
  std::sort(out.indexes.begin(), out.indexes.end(),
            [](const IndexInfo& a, const IndexInfo& b) { return a.name < b.name; });
  return out;
}

absl::StatusOr<std::vector<TableRowCount>> CountRows(Database& db, const RequestContext& ctx) {
  DAIRA_ASSIGN_OR_RETURN(SchemaInfo schema, InspectSchema(db, ctx));
  std::vector<TableRowCount> out;
  for (const TableInfo& t : schema.tables) {
    if (t.kind != TableKind::kTable) continue;
    // Table names come from the catalog, not from a caller; quoted as identifiers all the same.
    auto rs = db.Read(ctx, absl::StrCat("SELECT count(*) FROM \"", t.name, "\""));
    if (!rs.ok()) return Annotate(rs.status(), absl::StrCat("count rows: ", t.name));
    out.push_back(TableRowCount{t.name, rs->empty() ? 0 : rs->front().Int64(0)});
  }
  return out;
}

}  // namespace daira::inline v0::store
