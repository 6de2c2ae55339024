#include "daemon/net/buffer.h"

#include <algorithm>
#include <string>

namespace tollgate::net {

size_t Buffer::prepare(size_t want, size_t maxCapacity) {
  if (capacity_ - end_ >= want) return capacity_ - end_;
  if (begin_ > 0) {  // compact before growing
    std::memmove(mem_.get(), mem_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
    if (capacity_ - end_ >= want) return capacity_ - end_;
  }
  size_t target = std::max(capacity_ ? capacity_ * 2 : kChunk, end_ + want);
  target = std::min(target, std::max(maxCapacity, capacity_));
  if (target > capacity_) {
    auto mem = std::make_unique_for_overwrite<char[]>(target);  // no memset: bytes are written before read
    if (end_) std::memcpy(mem.get(), mem_.get(), end_);
    mem_ = std::move(mem);
    capacity_ = target;
  }
  return capacity_ - end_;
}

void Buffer::consume(size_t n) {
  begin_ += std::min(n, size());
  if (begin_ == end_) begin_ = end_ = 0;
}

void Buffer::append(std::string_view bytes) {
  prepare(bytes.size(), size() + bytes.size() + kChunk);
  std::memcpy(writePtr(), bytes.data(), bytes.size());
  commit(bytes.size());
}

void Buffer::replacePrefix(size_t n, std::string_view replacement) {
  std::string rest(data() + std::min(n, size()), size() - std::min(n, size()));
  begin_ = end_ = 0;
  append(replacement);
  append(rest);
}

void Buffer::release() {
  if (!empty()) return;
  mem_.reset();
  capacity_ = begin_ = end_ = 0;
}

}  // namespace tollgate::net
