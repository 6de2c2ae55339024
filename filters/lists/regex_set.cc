#include "filters/lists/regex_set.h"

#include <algorithm>

namespace tollgate::filters::lists {

namespace {

RE2::Options shardOptions(const RegexSet::Options& o) {
  RE2::Options options;
  options.set_max_mem(static_cast<int64_t>(o.maxMemPerShard));
  options.set_case_sensitive(o.caseSensitive);
  // Errors are reported through FilterError with file:line; RE2's own log would only repeat
  // them on stderr without the location.
  options.set_log_errors(false);
  return options;
}

std::string mib(size_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

}  // namespace

bool startsWithDotStar(std::string_view p) {
  size_t i = 0;
  for (;;) {
    if (i < p.size() && p[i] == '^') {
      ++i;
    } else if (p.compare(i, 3, "(?:") == 0) {
      i += 3;
    } else if (p.compare(i, 2, "(?") == 0) {
      // A flag group "(?i)" / "(?i:" / named group "(?P<n>": skip to its ')' or ':' or '>'.
      size_t close = p.find_first_of(")>:", i + 2);
      if (close == std::string_view::npos) return false;
      i = close + 1;
    } else if (i < p.size() && p[i] == '(') {
      ++i;
    } else {
      break;
    }
  }
  return i + 1 < p.size() && p[i] == '.' && (p[i + 1] == '*' || p[i + 1] == '+' ||
                                             p[i + 1] == '{');
}

void RegexSet::beginFile(std::string file) { files_.push_back(std::move(file)); }

void RegexSet::add(std::string_view pattern, int line) {
  const std::string& file = files_.empty() ? std::string() : files_.back();
  std::string where = file + ":" + std::to_string(line) + ": ";
  if (options_.anchor != RE2::UNANCHORED && startsWithDotStar(pattern)) {
    throw FilterError(where + "pattern starts with '.*': patterns are anchored at the start of "
                      "the input, and a leading .* makes RE2::Set's DFA thrash (milliseconds per "
                      "match); start with what the input starts with, e.g. [^/]*\\.example\\.");
  }
  if (patterns_.size() % kShardSize == 0) {
    shards_.push_back(std::make_unique<RE2::Set>(shardOptions(options_), options_.anchor));
  }
  std::string error;
  if (shards_.back()->Add(re2::StringPiece(pattern.data(), pattern.size()), &error) < 0) {
    throw FilterError(where + "bad regex: " + error);
  }
  patterns_.push_back({static_cast<uint32_t>(files_.size() - 1), line, std::string(pattern)});
}

std::string RegexSet::shardLocation(size_t shard) const {
  const Pattern& first = patterns_[shard * kShardSize];
  const Pattern& last = patterns_[std::min(patterns_.size(), (shard + 1) * kShardSize) - 1];
  std::string where = files_[first.file] + " lines " + std::to_string(first.line) + "-";
  if (last.file != first.file) where += files_[last.file] + ":";
  return where + std::to_string(last.line);
}

void RegexSet::compile() {
  for (size_t s = 0; s < shards_.size(); ++s) {
    if (!shards_[s]->Compile()) {
      throw FilterError(shardLocation(s) + ": regex set does not compile within max_mem " +
                        mib(options_.maxMemPerShard) +
                        " (RE2::Set out of memory or pattern too large; raise the budget or "
                        "split the list)");
    }
  }
}

RegexSet::Result RegexSet::match(std::string_view text, uint32_t* index) const {
  re2::StringPiece input(text.data(), text.size());
  for (size_t s = 0; s < shards_.size(); ++s) {
    RE2::Set::ErrorInfo info{};
    if (!shards_[s]->Match(input, nullptr, &info)) {
      if (info.kind != RE2::Set::kNoError) return Result::Error;
      continue;
    }
    // Shards are in file order, so the first shard that matches holds the first pattern.
    std::vector<int> hits;
    if (!shards_[s]->Match(input, &hits, &info) || hits.empty()) return Result::Error;
    *index = static_cast<uint32_t>(s * kShardSize) +
             static_cast<uint32_t>(*std::min_element(hits.begin(), hits.end()));
    return Result::Match;
  }
  return Result::NoMatch;
}

EntryOrigin RegexSet::origin(uint32_t index) const {
  const Pattern& p = patterns_[index];
  return EntryOrigin{files_[p.file], p.line, p.text};
}

size_t RegexSet::memoryBytes() const {
  // The compiled programs are not exposed by RE2::Set; count the text and a per-pattern
  // program estimate. The lazy DFA cache comes on top, bounded by max_mem per shard.
  size_t bytes = patterns_.capacity() * sizeof(Pattern);
  for (const auto& p : patterns_) bytes += p.text.capacity() + 16 * p.text.size();
  return bytes;
}

}  // namespace tollgate::filters::lists
