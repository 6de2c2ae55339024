#include "filters/lists/line_source.h"

#include <sys/stat.h>

#include <Poco/Exception.h>
#include <Poco/InflatingStream.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "filters/list.h"

namespace tollgate::filters::lists {

namespace {

constexpr size_t kChunk = 64 * 1024;

[[noreturn]] void cannotOpen(const std::string& path, int err) {
  throw FilterError(path + ": cannot open: " + std::strerror(err));
}

}  // namespace

LineSource::LineSource(std::string path) : path_(std::move(path)) {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) cannotOpen(path_, errno);
  // fopen() succeeds on a folder and only read() fails, with a less clear message.
  if (S_ISDIR(st.st_mode)) cannotOpen(path_, EISDIR);
  fileSize_ = static_cast<size_t>(st.st_size);
  file_ = std::fopen(path_.c_str(), "rb");
  if (file_ == nullptr) cannotOpen(path_, errno);
  unsigned char magic[2] = {};
  size_t n = std::fread(magic, 1, 2, file_);
  if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
    std::fclose(file_);
    file_ = nullptr;
    auto raw = std::make_unique<std::ifstream>(path_, std::ios::binary);
    if (!*raw) cannotOpen(path_, errno);
    inflater_ = std::make_unique<Poco::InflatingInputStream>(
        *raw, Poco::InflatingStreamBuf::STREAM_GZIP);
    // istream swallows the inflater's exception into badbit by default: a corrupt file would
    // then look like a short one. Let it through so the load fails with zlib's reason.
    inflater_->exceptions(std::ios::badbit);
    raw_ = std::move(raw);
  } else {
    std::rewind(file_);
  }
  buffer_.resize(kChunk);
}

LineSource::~LineSource() {
  // The inflater reads from raw_: destroy it first.
  inflater_.reset();
  raw_.reset();
  if (file_ != nullptr) std::fclose(file_);
}

size_t LineSource::readChunk(char* to, size_t size) {
  if (inflater_ == nullptr) {
    size_t n = std::fread(to, 1, size, file_);
    if (n < size && std::ferror(file_)) {
      throw FilterError(path_ + ":" + std::to_string(lineNumber_ + 1) +
                        ": read error: " + std::strerror(errno));
    }
    return n;
  }
  try {
    inflater_->read(to, static_cast<std::streamsize>(size));
    return static_cast<size_t>(inflater_->gcount());
  } catch (const Poco::Exception& e) {
    throw FilterError(path_ + ":" + std::to_string(lineNumber_ + 1) +
                      ": read error: gzip: " + e.displayText());
  } catch (const std::exception& e) {
    throw FilterError(path_ + ":" + std::to_string(lineNumber_ + 1) +
                      ": read error: gzip: " + e.what());
  }
}

bool LineSource::next(std::string_view& line) {
  for (;;) {
    const char* data = buffer_.data();
    const void* nl = std::memchr(data + begin_, '\n', end_ - begin_);
    if (nl != nullptr || (eof_ && begin_ < end_)) {
      size_t stop = nl ? static_cast<size_t>(static_cast<const char*>(nl) - data) : end_;
      line = std::string_view(data + begin_, stop - begin_);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      begin_ = nl ? stop + 1 : end_;
      ++lineNumber_;
      return true;
    }
    if (eof_) return false;
    // Keep the partial line, then fill: grow only for a line longer than the buffer.
    if (begin_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
    size_t n = readChunk(buffer_.data() + end_, buffer_.size() - end_);
    if (n == 0) eof_ = true;
    end_ += n;
  }
}

}  // namespace tollgate::filters::lists
