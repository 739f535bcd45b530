// Field masks: select exactly the columns a caller asked for, and never a secret by accident.
//
// FieldMask<E> is a bit set over an `enum class E` of fields (values 0..63). A FieldTable<E> maps
// each field to its column and marks the primary key and the sensitive fields. SelectList(mask)
// builds the SELECT column list for exactly the selected fields, always with the primary key, in the
// table's order (stable, so the statement text — and its prepared-statement cache entry — is the same
// for the same mask). Sensitive fields (password_hash, refresh tokens) are not part of All(): they are
// selected only when a mask names them explicitly.
//
//   enum class UserField { kId, kUsername, kEmail, kAvatarUrl, kPasswordHash };
//   const query::FieldTable<UserField> kUserColumns({
//       {UserField::kId, "id", query::kPrimaryKey},  {UserField::kUsername, "username"},
//       {UserField::kEmail, "email"},                {UserField::kAvatarUrl, "avatar_url"},
//       {UserField::kPasswordHash, "password_hash", query::kSensitive}});
//   query::FieldMask<UserField> m{UserField::kUsername, UserField::kAvatarUrl};
//   kUserColumns.SelectList(m);                  // "id, username, avatar_url"
//   kUserColumns.SelectList(kUserColumns.All()); // every column except password_hash
//   auto parsed = kUserColumns.Parse("username,email");   // from a request's ?fields=
//
// Thread-safety: FieldMask is a value; a FieldTable is immutable after construction (safe to share).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "daira/core/status.h"

namespace daira::inline v0::query {

template <typename E>
class FieldMask {
  static_assert(std::is_enum_v<E>, "FieldMask is over an enum class of fields");

 public:
  constexpr FieldMask() = default;
  constexpr FieldMask(std::initializer_list<E> fields) {
    for (E f : fields) bits_ |= Bit(f);
  }
  static constexpr FieldMask FromBits(uint64_t bits) {
    FieldMask m;
    m.bits_ = bits;
    return m;
  }

  constexpr bool Has(E f) const { return (bits_ & Bit(f)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr uint64_t bits() const { return bits_; }
  constexpr int size() const { return __builtin_popcountll(bits_); }
  constexpr FieldMask With(E f) const { return FromBits(bits_ | Bit(f)); }
  constexpr FieldMask Without(E f) const { return FromBits(bits_ & ~Bit(f)); }
  // True when every field of `other` is in this mask.
  constexpr bool Contains(FieldMask other) const { return (bits_ & other.bits_) == other.bits_; }

  friend constexpr FieldMask operator|(FieldMask a, FieldMask b) { return FromBits(a.bits_ | b.bits_); }
  friend constexpr FieldMask operator&(FieldMask a, FieldMask b) { return FromBits(a.bits_ & b.bits_); }
  friend constexpr FieldMask operator|(FieldMask a, E f) { return a.With(f); }
  FieldMask& operator|=(FieldMask o) { bits_ |= o.bits_; return *this; }
  FieldMask& operator&=(FieldMask o) { bits_ &= o.bits_; return *this; }
  friend constexpr bool operator==(FieldMask a, FieldMask b) = default;

 private:
  static constexpr uint64_t Bit(E f) {
    const auto v = static_cast<int64_t>(static_cast<std::underlying_type_t<E>>(f));
    return (v >= 0 && v < 64) ? (uint64_t{1} << v) : 0;  // out-of-range fields are never selected
  }
  uint64_t bits_ = 0;
};

// Flags for FieldTable entries (combine with |).
inline constexpr unsigned kNoFlags = 0;
inline constexpr unsigned kPrimaryKey = 1;  // always selected
inline constexpr unsigned kSensitive = 2;   // selected only when named explicitly; never part of All()

template <typename E>
struct FieldColumn {
  E field;
  std::string column;        // SQL column or expression ("u.username", "lower(email) AS email_norm")
  unsigned flags = kNoFlags;
  std::string name{};        // external name for Parse(); "" = `column` after the last '.' / " AS "
};

template <typename E>
class FieldTable {
 public:
  // Entries in the order columns are selected. Fields should be distinct.
  FieldTable(std::initializer_list<FieldColumn<E>> columns) : columns_(columns) {
    for (auto& c : columns_) {
      if (c.name.empty()) c.name = DefaultName(c.column);
      if (c.flags & kPrimaryKey) primary_ = primary_.With(c.field);
      if (!(c.flags & kSensitive)) all_ = all_.With(c.field);
    }
  }

  // Every field except the sensitive ones.
  FieldMask<E> All() const { return all_; }
  // The primary key field(s).
  FieldMask<E> PrimaryKey() const { return primary_; }

  // The selected columns (mask plus primary key), in table order.
  std::vector<std::string> Columns(FieldMask<E> mask) const {
    const FieldMask<E> m = mask | primary_;
    std::vector<std::string> out;
    for (const auto& c : columns_) {
      if (m.Has(c.field)) out.push_back(c.column);
    }
    return out;
  }
  // Columns(mask) joined with ", ", ready for "SELECT " + list + " FROM ...".
  std::string SelectList(FieldMask<E> mask) const {
    std::string out;
    for (const std::string& c : Columns(mask)) absl::StrAppend(&out, out.empty() ? "" : ", ", c);
    return out;
  }

  // A mask from a comma-separated list of field names ("username, email"); "" → All(). Unknown
  // names → InvalidArgument naming "fields". Sensitive fields may be named (the caller decides
  // whether a request is allowed to ask for them).
  absl::StatusOr<FieldMask<E>> Parse(std::string_view list) const {
    FieldMask<E> m;
    bool any = false;
    size_t pos = 0;
    while (pos <= list.size()) {
      size_t comma = list.find(',', pos);
      if (comma == std::string_view::npos) comma = list.size();
      std::string_view name = Trim(list.substr(pos, comma - pos));
      pos = comma + 1;
      if (name.empty()) continue;
      any = true;
      bool found = false;
      for (const auto& c : columns_) {
        if (c.name == name) {
          m = m.With(c.field);
          found = true;
          break;
        }
      }
      if (!found) {
        return InvalidField("field mask", "fields",
                            absl::StrCat("names an unknown field (got \"", ToAbsl(name.substr(0, 64)), "\")"));
      }
    }
    return any ? m : all_;
  }

  // The external name of `field` ("" if not in the table).
  std::string_view Name(E field) const {
    for (const auto& c : columns_) {
      if (c.field == field) return c.name;
    }
    return {};
  }

 private:
  static std::string DefaultName(std::string_view column) {
    if (size_t as = column.rfind(" AS "); as != std::string_view::npos) column = column.substr(as + 4);
    if (size_t dot = column.rfind('.'); dot != std::string_view::npos) column = column.substr(dot + 1);
    return std::string(Trim(column));
  }
  static std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  }

  std::vector<FieldColumn<E>> columns_;
  FieldMask<E> all_;
  FieldMask<E> primary_;
};

}  // namespace daira::inline v0::query
