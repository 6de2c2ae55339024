#pragma once
// Reads a list file line by line, plain or gzip (detected by its magic bytes, not its name, so a
// renamed download still loads). Control plane only: it throws FilterError.
#include <cstdio>
#include <istream>
#include <memory>
#include <string>
#include <string_view>

namespace tollgate::filters::lists {

class LineSource {
 public:
  // Throws FilterError "path: cannot open: reason" (missing, unreadable, a folder).
  explicit LineSource(std::string path);
  ~LineSource();
  LineSource(const LineSource&) = delete;
  LineSource& operator=(const LineSource&) = delete;

  // The next line without its "\n" or "\r\n"; false at the end. The view is valid until the
  // next call. Throws FilterError "path:line: read error: reason" (I/O, corrupt gzip).
  bool next(std::string_view& line);
  // 1-based number of the line last returned.
  int lineNumber() const { return lineNumber_; }
  const std::string& path() const { return path_; }
  // Size on disk, for reserving: the compressed size for gzip.
  size_t fileSize() const { return fileSize_; }
  bool compressed() const { return inflater_ != nullptr; }

 private:
  size_t readChunk(char* to, size_t size);

  std::string path_;
  std::FILE* file_ = nullptr;
  std::unique_ptr<std::istream> raw_;       // gzip only: the compressed bytes
  std::unique_ptr<std::istream> inflater_;  // gzip only
  std::string buffer_;
  size_t begin_ = 0;  // start of unread data in buffer_
  size_t end_ = 0;    // end of valid data in buffer_
  bool eof_ = false;
  int lineNumber_ = 0;
  size_t fileSize_ = 0;
};

}  // namespace tollgate::filters::lists
