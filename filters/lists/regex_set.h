#pragma once
// Regular expressions (regex, sni_regex, UT1 expressions) compiled into RE2::Set shards.
//
// The traps, measured in research/perf_filter_anchors.md §2, and what this class does about each:
// - RE2::Set has no NFA fallback and its default 8 MiB budget fails or thrashes beyond ~1k
//   patterns: each shard gets an explicit max_mem (ListSpec::regexMaxMemPerShard) and at most
//   kShardSize patterns; a shard that does not compile is a load error naming its lines.
// - A leading ".*" over thousands of alternatives makes the DFA thrash (ms per match, no error
//   reported): anchored sets refuse such patterns at load, naming file:line.
// - Match() may report kOutOfMemory: that is returned as Result::Error, never as a non-match.
// - Match() with an index vector allocates: the hot path asks yes/no first and only a hit
//   pays for finding which pattern matched.
//
// Literal prefilter: 10k realistic anchored patterns in RE2::Set shards cost 0.26-1.8 ms per
// distinct URL (the shared DFA keeps building states). Each pattern is therefore compiled on its
// own, and at load re2::FilteredRE2 gives its atoms (lower-case literals) and the AND/OR tree
// over them. From that tree we keep a *cover*: atoms such that any text the pattern matches
// contains at least one of them. Usually that is one atom the tree requires; among those we
// take the one fewest patterns of the list also use (a word that 40 patterns share, such as
// "telemetry", is likely common in URLs too; a random host label is not). Every cover atom goes into one Aho-Corasick AtomMatcher. A match scans the input once,
// takes the patterns whose cover atom occurred, and runs only those, in file order, with the
// list's anchor. Compared with asking FilteredRE2 at match time this skips its per-call tree
// propagation (allocating), and the automaton holds ~1 atom per pattern instead of all of them.
// Patterns without atoms ("unfiltered") stay in RE2::Set shards (budget, sharding and
// kOutOfMemory -> Error unchanged for them). The per-shard budget is checked against the summed
// program sizes of the shard's patterns.
#include <re2/re2.h>
#include <re2/set.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "filters/list.h"
#include "filters/lists/atom_matcher.h"

namespace tollgate::filters::lists {

// The atoms of one pattern that can serve as its cover (see above). `necessary`: atoms every
// matching text contains, each a cover on its own. `cover`: a cover built longest atom first
// (for patterns with no necessary atom, an OR of ANDs, or whose necessary atoms are all common).
// Both empty when the pattern has no atom and must be tried on every input. Exposed for tests.
struct PatternAtoms {
  std::vector<std::string> necessary;
  std::vector<std::string> cover;
};
class RegexSet {
 public:
  static constexpr size_t kShardSize = 5000;

  struct Options {
    // ANCHOR_START: the pattern must match at the start of the input (regex, sni_regex).
    // UNANCHORED: a search anywhere (UT1 expressions, which are written for squidGuard's
    // regexec() search; they are a handful per category, so the unanchored DFA stays small).
    RE2::Anchor anchor = RE2::ANCHOR_START;
    bool caseSensitive = true;
    size_t maxMemPerShard = size_t{64} << 20;
  };
  enum class Result { NoMatch, Match, Error };

  explicit RegexSet(Options options) : options_(options) {}

  void beginFile(std::string file);
  // Throws FilterError "file:line: bad regex: <re2 error>" or "file:line: pattern starts with
  // '.*' ..." (anchored sets only).
  void add(std::string_view pattern, int line);
  // Compiles every shard. Throws FilterError naming the file and the lines of a failing shard.
  void compile();

  // On Match, *index is the lowest-numbered matching pattern.
  Result match(std::string_view text, uint32_t* index) const;

  EntryOrigin origin(uint32_t index) const;
  size_t size() const { return patterns_.size(); }
  // RE2::Set shards holding the patterns without atoms.
  size_t shards() const { return shards_.size(); }
  size_t unfiltered() const { return unfilteredCount_; }
  size_t memoryBytes() const;
  // "file lines A-B" of a shard, for messages.
  std::string shardLocation(size_t shard) const;

 private:
  struct Pattern {
    uint32_t file;  // index into files_
    int line;
    std::string text;
    std::unique_ptr<RE2> re;
    PatternAtoms atoms;  // released by compile()
  };

  std::string rangeLocation(size_t first, size_t last) const;
  void addToSets(uint32_t index);

  Options options_;
  std::vector<std::string> files_;
  std::vector<Pattern> patterns_;
  AtomMatcher atoms_;
  // Patterns covered by atom a, ascending: atomPatterns_[atomFirst_[a], atomFirst_[a + 1]).
  std::vector<uint32_t> atomFirst_;
  std::vector<uint32_t> atomPatterns_;
  bool nonAsciiAtoms_ = false;  // AtomMatcher folds ASCII only: such texts try every pattern
  std::vector<bool> unfilteredPattern_;
  size_t unfilteredCount_ = 0;
  // Patterns without atoms, in file order, in shards of at most kShardSize; shardIndex_[s][i]
  // is the index in patterns_ of pattern i of shard s.
  std::vector<std::unique_ptr<RE2::Set>> shards_;
  std::vector<std::vector<uint32_t>> shardIndex_;
};

// Computes PatternAtoms with re2::FilteredRE2 (compiles the pattern once more).
PatternAtoms coverAtoms(std::string_view pattern, const RE2::Options& options);

// True when `pattern` begins (after '^', flags and opening groups) with ".*", ".+" or ".{":
// the shape that makes an anchored RE2::Set thrash.
bool startsWithDotStar(std::string_view pattern);

}  // namespace tollgate::filters::lists
