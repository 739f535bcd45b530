// A FIFO of trivially copyable entries in one circular buffer that keeps its capacity: the memory
// bus's ready lanes and lease FIFO. Unlike std::deque (which allocates and frees a 512-byte block every
// ~20 entries passing through) it allocates only when it grows past its largest size so far.
//
// Thread-safety: none (the memory bus uses it under its mutex).
#pragma once

#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace daira::inline v0::backends {

template <typename T>
class Ring {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  Ring() = default;
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  Ring(Ring&& o) noexcept
      : buf_(std::move(o.buf_)), cap_(std::exchange(o.cap_, 0)), head_(std::exchange(o.head_, 0)),
        size_(std::exchange(o.size_, 0)) {}
  Ring& operator=(Ring&& o) noexcept {
    buf_ = std::move(o.buf_);
    cap_ = std::exchange(o.cap_, 0);
    head_ = std::exchange(o.head_, 0);
    size_ = std::exchange(o.size_, 0);
    return *this;
  }

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  // i-th entry from the front (i < size()).
  T& operator[](size_t i) { return buf_[(head_ + i) & (cap_ - 1)]; }
  const T& operator[](size_t i) const { return buf_[(head_ + i) & (cap_ - 1)]; }
  T& front() { return buf_[head_]; }
  T& back() { return (*this)[size_ - 1]; }
  void push_back(const T& v) {
    if (size_ == cap_) Grow();
    buf_[(head_ + size_) & (cap_ - 1)] = v;
    ++size_;
  }
  void pop_front() {
    head_ = (head_ + 1) & (cap_ - 1);
    if (--size_ == 0 && cap_ > kKeepCapacity) *this = Ring();  // a drained burst's buffer is given back
  }
  // Keeps the entries for which keep(entry) is true, in order (no allocation).
  template <typename Keep>
  void Filter(Keep keep) {
    size_t kept = 0;
    for (size_t i = 0; i < size_; ++i) {
      const T v = (*this)[i];
      if (keep(v)) (*this)[kept++] = v;
    }
    size_ = kept;
  }

 private:
  void Grow() {
    const size_t cap = cap_ == 0 ? 16 : 2 * cap_;  // a power of two: indexes wrap by masking
    std::unique_ptr<T[]> buf(new T[cap]);
    for (size_t i = 0; i < size_; ++i) buf[i] = (*this)[i];
    buf_ = std::move(buf);
    cap_ = cap;
    head_ = 0;
  }

  static constexpr size_t kKeepCapacity = 4096;
  std::unique_ptr<T[]> buf_;
  size_t cap_ = 0;
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace daira::inline v0::backends
