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

// Atoms shorter than this are not used: their patterns are unfiltered.
constexpr int kMinAtomLen = 3;
// sizeof(re2::Prog::Inst): RE2::ProgramSize() counts instructions.
constexpr size_t kInstBytes = 16;

// One pattern on its own: same flags as the shard, a per-pattern cap on the program and DFA
// cache (the lazy DFA of one anchored pattern stays small; the cap bounds a pathological one,
// and RE2 falls back to the NFA rather than failing when the DFA runs out).
RE2::Options patternOptions(const RegexSet::Options& o) {
  RE2::Options options = shardOptions(o);
  options.set_max_mem(static_cast<int64_t>(std::min(o.maxMemPerShard, size_t{8} << 20)));
  return options;
}

FilterError budgetError(const std::string& where, size_t maxMem) {
  return FilterError(where + ": regex set does not compile within max_mem " + mib(maxMem) +
                     " (RE2::Set out of memory or pattern too large; raise the budget or "
                     "split the list)");
}

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
  if (!filtered_) filtered_ = std::make_unique<re2::FilteredRE2>(kMinAtomLen);
  re2::StringPiece piece(pattern.data(), pattern.size());
  RE2::Options options = patternOptions(options_);
  int id = -1;
  if (filtered_->Add(piece, options, &id) != RE2::NoError) {
    RE2 re(piece, options);  // only to get the error text
    throw FilterError(where + "bad regex: " + re.error());
  }
  patterns_.push_back({static_cast<uint32_t>(files_.size() - 1), line, std::string(pattern)});
}

std::string RegexSet::rangeLocation(size_t firstIndex, size_t lastIndex) const {
  const Pattern& first = patterns_[firstIndex];
  const Pattern& last = patterns_[lastIndex];
  std::string where = files_[first.file] + " lines " + std::to_string(first.line) + "-";
  if (last.file != first.file) where += files_[last.file] + ":";
  return where + std::to_string(last.line);
}

std::string RegexSet::shardLocation(size_t shard) const {
  return rangeLocation(shard * kShardSize,
                       std::min(patterns_.size(), (shard + 1) * kShardSize) - 1);
}

void RegexSet::addToSets(uint32_t index) {
  if (shardIndex_.empty() || shardIndex_.back().size() == kShardSize) {
    shards_.push_back(std::make_unique<RE2::Set>(shardOptions(options_), options_.anchor));
    shardIndex_.emplace_back();
  }
  const std::string& text = patterns_[index].text;
  std::string error;
  if (shards_.back()->Add(re2::StringPiece(text.data(), text.size()), &error) < 0) {
    const Pattern& p = patterns_[index];  // RE2 accepted it alone; should not happen
    throw FilterError(files_[p.file] + ":" + std::to_string(p.line) + ": bad regex: " + error);
  }
  shardIndex_.back().push_back(index);
}

void RegexSet::compile() {
  if (patterns_.empty()) return;
  // The budget of a shard of kShardSize patterns in file order: RE2 gives about two thirds of
  // max_mem to the program, the rest to the DFA cache.
  const size_t programBudget = options_.maxMemPerShard / 3 * 2;
  for (size_t s = 0; s * kShardSize < patterns_.size(); ++s) {
    size_t bytes = 0;
    size_t end = std::min(patterns_.size(), (s + 1) * kShardSize);
    for (size_t i = s * kShardSize; i < end; ++i) {
      bytes += static_cast<size_t>(filtered_->GetRE2(static_cast<int>(i)).ProgramSize()) *
               kInstBytes;
    }
    if (bytes > programBudget) throw budgetError(shardLocation(s), options_.maxMemPerShard);
  }
  std::vector<std::string> atoms;
  filtered_->Compile(&atoms);
  for (const auto& a : atoms) {
    for (unsigned char c : a) {
      if (c >= 0x80) nonAsciiAtoms_ = true;
    }
  }
  atoms_ = AtomMatcher(atoms);
  // With no atoms found, the patterns that pass are exactly the unfiltered ones.
  std::vector<int> none;
  std::vector<int> unfiltered;
  filtered_->AllPotentials(none, &unfiltered);
  unfilteredPattern_.assign(patterns_.size(), false);
  for (int id : unfiltered) unfilteredPattern_[static_cast<size_t>(id)] = true;
  unfilteredCount_ = unfiltered.size();
  std::sort(unfiltered.begin(), unfiltered.end());
  for (int id : unfiltered) addToSets(static_cast<uint32_t>(id));
  for (size_t s = 0; s < shards_.size(); ++s) {
    if (!shards_[s]->Compile()) {
      throw budgetError(rangeLocation(shardIndex_[s].front(), shardIndex_[s].back()),
                        options_.maxMemPerShard);
    }
  }
}

RegexSet::Result RegexSet::match(std::string_view text, uint32_t* index) const {
  if (patterns_.empty()) return Result::NoMatch;
  re2::StringPiece input(text.data(), text.size());
  uint32_t best = UINT32_MAX;
  // Patterns without atoms: RE2::Set shards, in file order.
  for (size_t s = 0; s < shards_.size(); ++s) {
    RE2::Set::ErrorInfo info{};
    if (!shards_[s]->Match(input, nullptr, &info)) {
      if (info.kind != RE2::Set::kNoError) return Result::Error;
      continue;
    }
    std::vector<int> hits;
    if (!shards_[s]->Match(input, &hits, &info) || hits.empty()) return Result::Error;
    best = shardIndex_[s][static_cast<size_t>(*std::min_element(hits.begin(), hits.end()))];
    break;
  }
  // Patterns with atoms: only the candidates, lowest index first, below `best`.
  thread_local std::vector<int> found;
  thread_local std::vector<int> candidates;
  bool all = nonAsciiAtoms_ &&
             std::any_of(text.begin(), text.end(), [](char c) { return (c & 0x80) != 0; });
  if (all) {
    candidates.clear();
    for (size_t i = 0; i < patterns_.size(); ++i) candidates.push_back(static_cast<int>(i));
  } else {
    atoms_.find(text, &found);
    if (found.empty() && unfilteredCount_ == 0) return Result::NoMatch;
    filtered_->AllPotentials(found, &candidates);
    std::sort(candidates.begin(), candidates.end());  // RE2 sorts them today; not documented
  }
  for (int id : candidates) {
    if (static_cast<uint32_t>(id) >= best) break;
    if (unfilteredPattern_[static_cast<size_t>(id)]) continue;
    if (filtered_->GetRE2(id).Match(input, 0, input.size(), options_.anchor, nullptr, 0)) {
      best = static_cast<uint32_t>(id);
      break;
    }
  }
  if (best == UINT32_MAX) return Result::NoMatch;
  *index = best;
  return Result::Match;
}

EntryOrigin RegexSet::origin(uint32_t index) const {
  const Pattern& p = patterns_[index];
  return EntryOrigin{files_[p.file], p.line, p.text};
}

size_t RegexSet::memoryBytes() const {
  // Texts, atom matcher, per-pattern programs (RE2::ProgramSize); the lazy DFA caches come on
  // top (per pattern: small for one anchored pattern, capped by patternOptions()).
  size_t bytes = patterns_.capacity() * sizeof(Pattern) + atoms_.memoryBytes() +
                 unfilteredPattern_.capacity() / 8;
  for (size_t i = 0; i < patterns_.size(); ++i) {
    const Pattern& p = patterns_[i];
    bytes += p.text.capacity() + sizeof(RE2) + 2 * sizeof(re2::StringPiece);
    if (filtered_) {
      bytes += static_cast<size_t>(filtered_->GetRE2(static_cast<int>(i)).ProgramSize()) *
               kInstBytes;
    }
  }
  // The unfiltered patterns are compiled once more in the RE2::Set shards.
  for (const auto& index : shardIndex_) {
    for (uint32_t i : index) bytes += 16 * patterns_[i].text.size();
  }
  return bytes;
}

}  // namespace tollgate::filters::lists
