// An immutable, reference-counted text: copying one takes a reference, never a copy of its bytes.
//
//   SharedText payload(R"({"video_id":42})");   // one allocation (none for "")
//   SharedText copy = payload;                   // the same bytes, one more reference
//   std::string_view v = payload;                // reads like a string_view: size(), data(), ==, <=>
//   std::string s(payload);                      // an explicit copy into a std::string
//   SharedText name, body;
//   SharedText::Pack({{"transcode", &name}, {"{}", &body}});  // texts that live together: one allocation
//
// The bytes are NUL-terminated (c_str()). A default or empty text holds no allocation.
// Thread-safety: a SharedText is a value — copy it to any thread; the reference count is atomic and
// the bytes never change. One object is not to be assigned while another thread reads it.
#pragma once

#include <atomic>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>

namespace daira::inline v0 {

class SharedText {
 public:
  SharedText() noexcept = default;
  // Copies `text` (one allocation; none when empty).
  SharedText(std::string_view text);  // NOLINT(google-explicit-constructor): reads like a string
  SharedText(const std::string& text) : SharedText(std::string_view(text)) {}  // NOLINT
  SharedText(const char* text) : SharedText(std::string_view(text)) {}         // NOLINT
  SharedText(const SharedText& other) noexcept
      : data_(other.data_), size_(other.size_), block_(other.block_) {
    if (block_ != nullptr) block_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  SharedText(SharedText&& other) noexcept : data_(other.data_), size_(other.size_), block_(other.block_) {
    other.data_ = "";
    other.size_ = 0;
    other.block_ = nullptr;
  }
  SharedText& operator=(const SharedText& other) noexcept {
    SharedText copy(other);
    Swap(copy);
    return *this;
  }
  SharedText& operator=(SharedText&& other) noexcept {
    SharedText moved(std::move(other));
    Swap(moved);
    return *this;
  }
  SharedText& operator=(std::string_view text) { return *this = SharedText(text); }
  SharedText& operator=(const std::string& text) { return *this = SharedText(std::string_view(text)); }
  SharedText& operator=(const char* text) { return *this = SharedText(std::string_view(text)); }
  ~SharedText() {
    if (block_ != nullptr) Release(block_);
  }

  const char* data() const noexcept { return data_; }
  const char* c_str() const noexcept { return data_; }  // NUL-terminated
  size_t size() const noexcept { return size_; }
  size_t length() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  char operator[](size_t i) const noexcept { return data_[i]; }
  std::string_view view() const noexcept { return {data_, size_}; }
  operator std::string_view() const noexcept { return {data_, size_}; }  // NOLINT: reads like a string
  std::string str() const { return std::string(data_, size_); }
  // std::string_view's reads (std::string::npos == std::string_view::npos).
  static constexpr size_t npos = std::string_view::npos;
  size_t find(std::string_view s, size_t pos = 0) const noexcept { return view().find(s, pos); }
  size_t find(char c, size_t pos = 0) const noexcept { return view().find(c, pos); }
  std::string_view substr(size_t pos, size_t n = npos) const { return view().substr(pos, n); }
  bool starts_with(std::string_view s) const noexcept { return view().starts_with(s); }
  bool ends_with(std::string_view s) const noexcept { return view().ends_with(s); }

  // Texts that live and die together, in one allocation with one reference count: `*to` of each pair
  // gets the bytes of its `text` (an empty text holds nothing). Nothing is allocated when all are empty.
  struct Part {
    std::string_view text;
    SharedText* to;
  };
  static void Pack(std::initializer_list<Part> parts);

  friend bool operator==(const SharedText& a, std::string_view b) noexcept { return a.view() == b; }
  friend std::strong_ordering operator<=>(const SharedText& a, std::string_view b) noexcept {
    return a.view() <=> b;
  }
  friend std::ostream& operator<<(std::ostream& os, const SharedText& t);
  template <typename Sink>
  friend void AbslStringify(Sink& sink, const SharedText& t) {
    sink.Append(t.view());
  }

 private:
  struct Block {
    std::atomic<uint32_t> refs;
  };
  static void Release(Block* block) noexcept;
  void Swap(SharedText& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(block_, other.block_);
  }

  const char* data_ = "";
  size_t size_ = 0;
  Block* block_ = nullptr;  // null: data_ is the static ""
};

}  // namespace daira::inline v0
