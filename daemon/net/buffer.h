#pragma once
// A contiguous byte buffer with a read and a write offset. Memory is taken on first use and
// given back when the buffer empties, so an idle keep-alive connection holds no buffer at all
// (the 5,000-idle-connection memory budget depends on it).
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace tollgate::net {

class Buffer {
 public:
  static constexpr size_t kChunk = 16 * 1024;

  const char* data() const { return mem_.get() + begin_; }
  size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  std::string_view view() const { return {data(), size()}; }

  // Room to write at least `want` bytes (grows up to `maxCapacity`, compacting first).
  // Returns the writable region size, 0 when the buffer is at its cap.
  size_t prepare(size_t want, size_t maxCapacity);
  char* writePtr() { return mem_.get() + end_; }
  void commit(size_t n) { end_ += n; }
  void consume(size_t n);
  void append(std::string_view bytes);
  // Drops the first `n` bytes and puts `replacement` in their place (head rewriting).
  void replacePrefix(size_t n, std::string_view replacement);
  void release();  // frees the memory if empty

 private:
  std::unique_ptr<char[]> mem_;
  size_t capacity_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace tollgate::net
