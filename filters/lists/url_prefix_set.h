#pragma once
// URL prefixes (the `urls` format and UT1 `urls` files): "example.com/a" matches
// example.com/a, example.com/a/b and example.com/a?x, never example.com/ab. The host must be
// equal (after dropping "www."), not a subdomain: a URL entry names one site's pages, and UT1's
// urls files are written that way (their domains files carry the subdomain semantics).
//
// Keys are "host[/path][?query]" lower-cased (paths compared ASCII case-insensitively, like
// squidGuard, so "/Ads" cannot slip past "/ads"); no percent-decoding. The input URL's prefixes
// ending before each '/' of the path, before '?', and the whole URL are probed by hash (one
// forward pass gives every prefix's hash).
#include <cstdint>
#include <string>
#include <string_view>

#include "filters/lists/string_table.h"

namespace tollgate::filters::lists {

class UrlPrefixSet {
 public:
  void beginFile(std::string file) { table_.beginFile(std::move(file)); }
  // `key` is normalizeUrlEntry() output.
  void add(std::string_view key, int line) { table_.add(key, hashForward(key), line); }
  size_t finish() { return table_.finish(); }

  // The lowest-numbered entry that is a prefix of `url` ("host/path?query") at a segment
  // boundary, or StringTable::kNotFound.
  uint32_t match(std::string_view url) const;

  EntryOrigin origin(uint32_t index) const { return table_.origin(index); }
  std::string_view key(uint32_t index) const { return table_.key(index); }
  size_t size() const { return table_.size(); }
  size_t memoryBytes() const { return table_.memoryBytes(); }

 private:
  StringTable table_;
};

// "http://www.Example.com/a/B/" -> "example.com/a/b". Scheme optional; a port, user info or
// an invalid host -> false with `why`.
bool normalizeUrlEntry(std::string_view text, std::string& out, std::string& why);

}  // namespace tollgate::filters::lists
