#include "filters/lists/regex_set.h"

#include <re2/filtered_re2.h>

#include <algorithm>
#include <unordered_map>

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
// A necessary atom used by more patterns of the list than this is "common": a multi-atom cover
// of rarer atoms is preferred to it.
constexpr uint32_t kCommonAtomUses = 8;
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

PatternAtoms coverAtoms(std::string_view pattern, const RE2::Options& options) {
  re2::FilteredRE2 filter(kMinAtomLen);
  int id = -1;
  if (filter.Add(re2::StringPiece(pattern.data(), pattern.size()), options, &id) !=
      RE2::NoError) {
    return {};
  }
  std::vector<std::string> atoms;
  filter.Compile(&atoms);
  std::vector<int> present;
  std::vector<int> passing;
  filter.AllPotentials(present, &passing);
  if (!passing.empty()) return {};  // passes with no atom at all: unfiltered
  PatternAtoms out;
  // Remove atoms from "present", longest (rarest) first, until the pattern can no longer pass:
  // the removed ones are then a cover (the AND/OR tree is monotone, so every text the pattern
  // matches holds one of them). Then drop any removed atom the cover does not need.
  std::vector<int> order(atoms.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return atoms[a].size() > atoms[b].size(); });
  auto passesWithout = [&](const std::vector<int>& removed) {
    present.clear();
    for (int a : order) {
      if (std::find(removed.begin(), removed.end(), a) == removed.end()) present.push_back(a);
    }
    std::sort(present.begin(), present.end());
    filter.AllPotentials(present, &passing);
    return !passing.empty();
  };
  for (int a : order) {
    if (!passesWithout({a})) out.necessary.push_back(atoms[a]);
  }
  std::vector<int> cover;
  for (int a : order) {
    cover.push_back(a);
    if (!passesWithout(cover)) break;
  }
  for (size_t i = cover.size(); i-- > 0 && cover.size() > 1;) {
    std::vector<int> fewer = cover;
    fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(i));
    if (!passesWithout(fewer)) cover = std::move(fewer);
  }
  for (int a : cover) out.cover.push_back(atoms[a]);
  return out;
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
  RE2::Options options = patternOptions(options_);
  auto re = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re->ok()) throw FilterError(where + "bad regex: " + re->error());
  patterns_.push_back({static_cast<uint32_t>(files_.size() - 1), line, std::string(pattern),
                       std::move(re), coverAtoms(pattern, options)});
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
      bytes += static_cast<size_t>(patterns_[i].re->ProgramSize()) * kInstBytes;
    }
    if (bytes > programBudget) throw budgetError(shardLocation(s), options_.maxMemPerShard);
  }
  // How many patterns could use each atom: the rarer, the fewer inputs will contain it.
  std::unordered_map<std::string, uint32_t> uses;
  for (const Pattern& p : patterns_) {
    for (const std::string& a : p.atoms.necessary) ++uses[a];
    for (const std::string& a : p.atoms.cover) ++uses[a];
  }
  // Cover atoms, each once, with the patterns they cover (ascending: patterns_ is file order).
  std::vector<std::string> atoms;
  std::vector<std::vector<uint32_t>> covered;
  std::unordered_map<std::string, uint32_t> atomIds;
  auto coverWith = [&](const std::string& a, uint32_t pattern) {
    auto [it, added] = atomIds.emplace(a, static_cast<uint32_t>(atoms.size()));
    if (added) {
      atoms.push_back(a);
      covered.emplace_back();
    }
    if (covered[it->second].empty() || covered[it->second].back() != pattern) {
      covered[it->second].push_back(pattern);
    }
    for (unsigned char c : a) {
      if (c >= 0x80) nonAsciiAtoms_ = true;
    }
  };
  unfilteredPattern_.assign(patterns_.size(), false);
  for (uint32_t i = 0; i < patterns_.size(); ++i) {
    Pattern& p = patterns_[i];
    // The rarest necessary atom (necessary is longest first; a strictly rarer one wins), unless
    // it is common in the list and the longest-first cover is rarer: "index.html" patterns of
    // many sites share "html" while their ".site.com/index" alternatives are each unique.
    const std::string* best = nullptr;
    for (const std::string& a : p.atoms.necessary) {
      if (best == nullptr || uses[a] < uses[*best]) best = &a;
    }
    uint32_t coverUses = 0;
    for (const std::string& a : p.atoms.cover) coverUses = std::max(coverUses, uses[a]);
    if (best != nullptr && !p.atoms.cover.empty() && uses[*best] > kCommonAtomUses &&
        coverUses < uses[*best]) {
      best = nullptr;
    }
    if (best != nullptr) {
      coverWith(*best, i);
    } else if (!p.atoms.cover.empty()) {
      for (const std::string& a : p.atoms.cover) coverWith(a, i);
    } else {
      unfilteredPattern_[i] = true;
      ++unfilteredCount_;
      addToSets(i);
    }
    p.atoms = PatternAtoms{};
  }
  atoms_ = AtomMatcher(atoms);
  atomFirst_.assign(1, 0);
  for (const auto& c : covered) {
    atomPatterns_.insert(atomPatterns_.end(), c.begin(), c.end());
    atomFirst_.push_back(static_cast<uint32_t>(atomPatterns_.size()));
  }
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
  // Patterns with atoms: only those whose cover atom occurs, lowest index first, below `best`.
  thread_local std::vector<int> found;
  thread_local std::vector<uint32_t> candidates;
  candidates.clear();
  bool all = nonAsciiAtoms_ &&
             std::any_of(text.begin(), text.end(), [](char c) { return (c & 0x80) != 0; });
  if (all) {
    for (uint32_t i = 0; i < patterns_.size(); ++i) candidates.push_back(i);
  } else {
    atoms_.find(text, &found);
    for (int a : found) {
      candidates.insert(candidates.end(), atomPatterns_.begin() + atomFirst_[a],
                        atomPatterns_.begin() + atomFirst_[a + 1]);
    }
    if (found.size() > 1) {
      std::sort(candidates.begin(), candidates.end());
      candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    }
  }
  for (uint32_t id : candidates) {
    if (id >= best) break;
    if (unfilteredPattern_[id]) continue;
    if (patterns_[id].re->Match(input, 0, input.size(), options_.anchor, nullptr, 0)) {
      best = id;
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
                 unfilteredPattern_.capacity() / 8 +
                 (atomFirst_.capacity() + atomPatterns_.capacity()) * sizeof(uint32_t);
  for (size_t i = 0; i < patterns_.size(); ++i) {
    const Pattern& p = patterns_[i];
    bytes += p.text.capacity() + sizeof(RE2) +
             static_cast<size_t>(p.re->ProgramSize()) * kInstBytes;
  }
  // The unfiltered patterns are compiled once more in the RE2::Set shards.
  for (const auto& index : shardIndex_) {
    for (uint32_t i : index) bytes += 16 * patterns_[i].text.size();
  }
  return bytes;
}

}  // namespace tollgate::filters::lists
