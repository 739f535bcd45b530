#include "daira/core/shared_text.h"

#include <cstring>
#include <iterator>
#include <memory>
#include <new>
#include <ostream>

namespace daira::inline v0 {

SharedText::SharedText(std::string_view text) {
  if (text.empty()) return;
  Pack({{text, this}});
}

void SharedText::Pack(std::initializer_list<Part> parts) {
  size_t bytes = 0;
  uint32_t refs = 0;
  for (const Part& p : parts) {
    if (p.text.empty()) continue;
    bytes += p.text.size() + 1;
    ++refs;
  }
  if (refs == 0) {
    for (const Part& p : parts) *p.to = SharedText();
    return;
  }
  // The bytes are copied before any target changes (a part may read from one of the targets).
  void* raw = ::operator new(sizeof(Block) + bytes);
  Block* block = new (raw) Block{};
  block->refs.store(refs, std::memory_order_relaxed);
  char* at = reinterpret_cast<char*>(block + 1);
  const char* starts[16];
  const char** start = starts;
  std::unique_ptr<const char*[]> many;
  if (parts.size() > std::size(starts)) {
    many = std::make_unique<const char*[]>(parts.size());
    start = many.get();
  }
  size_t i = 0;
  for (const Part& p : parts) {
    start[i++] = at;
    if (p.text.empty()) continue;
    std::memcpy(at, p.text.data(), p.text.size());
    at[p.text.size()] = '\0';
    at += p.text.size() + 1;
  }
  i = 0;
  for (const Part& p : parts) {
    SharedText& t = *p.to;
    const char* data = start[i++];
    if (t.block_ != nullptr) Release(t.block_);
    if (p.text.empty()) {
      t.data_ = "";
      t.size_ = 0;
      t.block_ = nullptr;
    } else {
      t.data_ = data;
      t.size_ = p.text.size();
      t.block_ = block;
    }
  }
}

void SharedText::Release(Block* block) noexcept {
  if (block->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    block->~Block();
    ::operator delete(block);
  }
}

std::ostream& operator<<(std::ostream& os, const SharedText& t) { return os << t.view(); }

}  // namespace daira::inline v0
