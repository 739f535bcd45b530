// The shared shape of the typed repositories in Python (p.wallets, p.posts, …): field masks, id
// lists, batches, enum/JSON/datetime arguments, and BindReads — get / get_many / exists bound once
// for every repository from a small traits struct.
//
//   struct WalletsTraits {
//     using Api = WalletsApi; using Id = WalletId; using Field = model::WalletField;
//     static constexpr const char* kIdArg = "wallet_id";
//     static services::WalletRepository& Repo(Platform& p) { return p.wallets(); }
//     static const query::FieldTable<Field>& Columns() { return services::WalletColumns(); }
//     static auto& Items(services::WalletBatch& b) { return b.wallets; }
//   };
//   py::class_<WalletsApi> c(m, "Wallets", "...");
//   BindReads<WalletsTraits>(c);      // c.get(id, *, fields=None, tx=None), get_many, exists
//
// Python sees: p.wallets.get(7, fields=["balance", "currency"]) → Wallet whose other fields read None;
// p.wallets.get_many([7, 8]) → Batch(items=[...], missing=[8]). Thread-safety: as Core::Call.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common.h"
#include "daira/core/status.h"
#include "daira/query/field_mask.h"
#include "daira/query/keyset.h"
#include "page.h"
#include "transaction.h"

namespace daira::python {

// A batch read as Python sees it: the rows found (in the order asked, duplicates once) and the ids
// with no row.
struct PyBatch {
  py::list items;
  std::vector<int64_t> missing;
};

// `fields` argument → mask: None → every field; "a,b" or ["a", "b"] → FieldTable::Parse (an unknown
// name raises InvalidArgument whose .field is "fields"; "" or [] means every field, as in C++).
template <typename E>
query::FieldMask<E> ParseFields(const query::FieldTable<E>& table, const py::object& fields) {
  if (fields.is_none()) return table.All();
  std::string list;
  if (py::isinstance<py::str>(fields)) {
    list = fields.cast<std::string>();
  } else if (py::isinstance<py::list>(fields) || py::isinstance<py::tuple>(fields) ||
             py::isinstance<py::set>(fields) || py::isinstance<py::frozenset>(fields)) {
    for (py::handle item : fields) {
      if (!py::isinstance<py::str>(item)) {
        Throw(InvalidField("field mask", "fields", "must hold field names (got " + Repr(item) + ")"));
      }
      std::string name = item.cast<std::string>();
      if (name.find(',') != std::string::npos) {
        Throw(InvalidField("field mask", "fields", "names an unknown field (got " + Repr(item) + ")"));
      }
      if (!list.empty()) list += ",";
      list += name;
    }
  } else {
    Throw(InvalidField("field mask", "fields",
                       "must be None, a list of field names or a comma-separated string (got " + Repr(fields) + ")"));
  }
  return Unwrap(table.Parse(list));
}

template <typename Id>
std::vector<Id> IdsOf(const std::vector<int64_t>& ids) {
  std::vector<Id> out;
  out.reserve(ids.size());
  for (int64_t id : ids) out.emplace_back(id);
  return out;
}

// The ids of a result as ints (hidden_authors_for, typists).
template <typename Id>
std::vector<int64_t> IdValues(const std::vector<Id>& ids) {
  std::vector<int64_t> out;
  out.reserve(ids.size());
  for (const Id& id : ids) out.push_back(id.value);
  return out;
}

template <typename Id>
std::optional<Id> OptId(const std::optional<int64_t>& id) {
  return id.has_value() ? std::optional<Id>(Id{*id}) : std::nullopt;
}

template <typename Item, typename Id>
PyBatch ToBatch(std::vector<Item>& items, const std::vector<Id>& missing) {
  PyBatch out;
  for (auto& item : items) out.items.append(py::cast(std::move(item)));
  for (const Id& id : missing) out.missing.push_back(id.value);
  return out;
}

// An enum argument: its upper-case name ("pending" is accepted too) → E; else InvalidArgument naming
// `field`.
template <typename E>
E EnumArg(std::string_view op, std::string_view field, std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  E out;
  if (model::Parse(text, &out)) return out;
  Throw(InvalidField(op, field, "is not a known value (got " + Repr(py::str(text)) + ")"));
}
template <typename E>
std::optional<E> OptEnumArg(std::string_view op, std::string_view field, const std::optional<std::string>& text) {
  if (!text.has_value()) return std::nullopt;
  return EnumArg<E>(op, field, *text);
}

// A JSON-object argument (metadata, evidence, changes): a str is passed as given (daira validates it),
// anything else is serialized with json.dumps.
std::string JsonArg(const py::object& value);
std::optional<std::string> OptJsonArg(const py::object& value);
// A name argument upper-cased as given ("public" → "PUBLIC"); daira validates it.
std::string UpperName(std::string s);
// An optional datetime argument (None → nullopt).
std::optional<Clock::TimePoint> OptTimeArg(const py::object& value);

// A repository's `fields` argument as its mask: the traits' own Mask when it has one (sessions refuse
// the token hashes), else its column table's parse.
template <typename Traits>
auto MaskArg(const py::object& fields) {
  if constexpr (requires { Traits::Mask(fields); }) {
    return Traits::Mask(fields);
  } else {
    return ParseFields(Traits::Columns(), fields);
  }
}

// The docstrings of BindReads' three calls.
struct ReadDocs {
  const char* get =
      "The row with this id, reading only `fields` (a list or comma string of column names; None: all;\n"
      "the others read None). NotFound (also a LookupError) when there is no such row.";
  const char* get_many =
      "The rows with these ids in one statement → Batch: .items in the order given (duplicates once)\n"
      "and .missing, the ids with no row.";
  const char* exists = "Whether a row with this id exists.";
};

// Binds get(id, *, fields=None, tx=None), get_many(ids, *, fields=None, tx=None) → Batch, and
// exists(id, *, tx=None) on a repository class (see the example above).
template <typename Traits>
void BindReads(py::class_<typename Traits::Api>& c, const ReadDocs& docs = {}) {
  using Api = typename Traits::Api;
  using Id = typename Traits::Id;
  c.def(
      "get",
      [](Api& a, int64_t id, py::object fields, TxState* tx) {
        auto mask = MaskArg<Traits>(fields);
        return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
          return Traits::Repo(p).Get(ctx, Id{id}, mask);
        });
      },
      py::arg(Traits::kIdArg), py::kw_only(), py::arg("fields") = py::none(), py::arg("tx") = py::none(),
      docs.get);
  c.def(
      "get_many",
      [](Api& a, const std::vector<int64_t>& ids, py::object fields, TxState* tx) {
        auto mask = MaskArg<Traits>(fields);
        std::vector<Id> typed = IdsOf<Id>(ids);
        auto batch = CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
          return Traits::Repo(p).GetMany(ctx, typed, mask);
        });
        return ToBatch(Traits::Items(batch), batch.missing);
      },
      py::arg("ids"), py::kw_only(), py::arg("fields") = py::none(), py::arg("tx") = py::none(),
      docs.get_many);
  c.def(
      "exists",
      [](Api& a, int64_t id, TxState* tx) {
        return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) { return Traits::Repo(p).Exists(ctx, Id{id}); });
      },
      py::arg(Traits::kIdArg), py::kw_only(), py::arg("tx") = py::none(), docs.exists);
}

// A list call: `fetch(Platform&, const RequestContext&, const query::PageRequest&)` → StatusOr<Page<T>>,
// as a Page that fetches its successors the same way (inside `tx` when given).
template <typename Fetch>
PyPage ListPage(const CorePtr& core, TxState* tx, int64_t limit, const std::string& cursor, Fetch fetch) {
  std::shared_ptr<TxState> keep = tx == nullptr ? nullptr : tx->shared_from_this();
  auto paged = [fetch, limit](Platform& p, const RequestContext& ctx, const std::string& c) {
    query::PageRequest req{.limit = limit, .cursor = c};
    return fetch(p, ctx, req);
  };
  return FetchPageIn(core, keep, paged, cursor);
}

}  // namespace daira::python
