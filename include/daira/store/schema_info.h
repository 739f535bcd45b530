// Schema introspection: the tables, columns and indexes of a database, normalized across backends.
//
//   DAIRA_ASSIGN_OR_RETURN(store::SchemaInfo schema, store::InspectSchema(*db, ctx));
//   for (const store::TableInfo& t : schema.tables) {
//     if (t.kind != store::TableKind::kTable) continue;            // FTS tables and their shadows
//     for (const store::ColumnInfo& c : t.columns)
//       std::printf("%s.%s %s%s\n", t.name.c_str(), c.name.c_str(),
//                   std::string(store::ColumnTypeName(c.type)).c_str(), c.nullable ? " NULL" : "");
//   }
//
// Types are normalized so the same schema compares equal on both backends: SQLite declared types
// INTEGER/BIGINT/SMALLINT → kInteger, REAL/DOUBLE → kReal, TEXT → kText, BLOB → kBlob, TEXT_ARRAY →
// kArray, TEXT_JSON → kJson; Postgres smallint/integer/bigint → kInteger, real/double precision →
// kReal, text/varchar → kText, bytea → kBlob, any array → kArray, json/jsonb → kJson.
// Indexes are those created with CREATE [UNIQUE] INDEX: indexes backing PRIMARY KEY / UNIQUE
// constraints (SQLite's sqlite_autoindex_*, Postgres' *_pkey / *_key) are not listed.
// Postgres reports the current schema (current_schema()); SQLite the "main" database.
//
// Used by the schema parity test and `daira stats`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/store/database.h"

namespace daira::inline v0::store {

enum class ColumnType { kInteger, kReal, kText, kBlob, kArray, kJson, kOther };
std::string_view ColumnTypeName(ColumnType type);  // "integer", "real", "text", "blob", "array", "json", "other"

struct ColumnInfo {
  std::string name;
  ColumnType type = ColumnType::kOther;
  std::string declared_type;  // as the backend reports it (SQLite declared type, Postgres udt name)
  bool nullable = true;       // primary-key columns are never nullable
  bool primary_key = false;
};

enum class TableKind {
  kTable,    // an ordinary table
  kVirtual,  // SQLite virtual table (FTS5)
  kShadow,   // SQLite shadow table backing a virtual table
};

struct TableInfo {
  std::string name;
  TableKind kind = TableKind::kTable;
  std::vector<ColumnInfo> columns;  // in declaration order

  // The column called `name`, or null.
  const ColumnInfo* FindColumn(std::string_view name) const;
};

struct IndexInfo {
  std::string name;
  std::string table;
  bool unique = false;
  bool partial = false;  // has a WHERE clause
};

struct SchemaInfo {
  std::vector<TableInfo> tables;    // sorted by name
  std::vector<IndexInfo> indexes;   // sorted by name

  const TableInfo* FindTable(std::string_view name) const;
  const IndexInfo* FindIndex(std::string_view name) const;
};

// Reads the schema of `db` (on a write connection, so it sees the primary). Errors are the backend's,
// prefixed "schema info: ".
absl::StatusOr<SchemaInfo> InspectSchema(Database& db, const RequestContext& ctx);

// Row counts of every ordinary table (kTable), in table-name order, by `SELECT count(*)`.
struct TableRowCount {
  std::string table;
  int64_t rows = 0;
};
absl::StatusOr<std::vector<TableRowCount>> CountRows(Database& db, const RequestContext& ctx);

}  // namespace daira::inline v0::store
