#include "daira/core/shared_text.h"

#include <cstring>
#include <new>
#include <ostream>

#include "absl/container/inlined_vector.h"

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
  Block* block = nullptr;
  char* at = nullptr;
  if (refs > 0) {
    block = new (::operator new(sizeof(Block) + bytes)) Block{};
    block->refs.store(refs, std::memory_order_relaxed);
    at = reinterpret_cast<char*>(block + 1);
  }
  // The targets' old blocks are released after every part was copied: a part may read from one of them.
  absl::InlinedVector<Block*, 8> old;
  for (const Part& p : parts) {
    SharedText& t = *p.to;
    if (t.block_ != nullptr) old.push_back(t.block_);
    if (p.text.empty()) {
      t.data_ = "";
      t.size_ = 0;
      t.block_ = nullptr;
      continue;
    }
    std::memcpy(at, p.text.data(), p.text.size());
    at[p.text.size()] = '\0';
    t.data_ = at;
    t.size_ = p.text.size();
    t.block_ = block;
    at += p.text.size() + 1;
  }
  for (Block* b : old) Release(b);
}

void SharedText::Release(Block* block) noexcept {
  if (block->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    block->~Block();
    ::operator delete(block);
  }
}

std::ostream& operator<<(std::ostream& os, const SharedText& t) { return os << t.view(); }

}  // namespace daira::inline v0
