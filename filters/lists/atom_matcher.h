#pragma once
// Aho–Corasick multi-substring matcher over FilteredRE2 atoms (lower-case literals).
//
// find() folds ASCII upper case to lower case while scanning (the atoms are lower case and the
// text must be matched case-insensitively), and reports each atom id found in the text once,
// in ascending order. Linear in the text length plus the number of matches.
// Bytes are mapped to classes (the distinct atom bytes, ASCII case folded, plus one class for
// every other byte). States up to depth kDenseDepth have dense rows with the fail links
// resolved (one lookup per byte, where random text spends most of its time); deeper states
// have sparse sorted edges and fall back along fail links to a dense state.
// Memory: about 20 bytes per trie node plus 4 * classes bytes per dense state.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tollgate::filters::lists {

class AtomMatcher {
 public:
  AtomMatcher() = default;
  // Atom i gets id i. Empty atoms are ignored (never reported).
  explicit AtomMatcher(const std::vector<std::string>& atoms);

  // Clears *ids and fills it with the ids of the atoms that occur in `text` (case-folded),
  // ascending and distinct.
  void find(std::string_view text, std::vector<int>* ids) const;

  size_t states() const { return nodes_.size(); }
  size_t memoryBytes() const;

 private:
  static constexpr int kDenseDepth = 2;

  struct Node {
    uint32_t firstEdge = 0;  // edges_[firstEdge, firstEdge + edgeCount), sorted by byte
    uint32_t fail = 0;
    uint32_t outLink = 0;      // nearest state on the fail chain with outputs (0: none)
    uint32_t firstOut = 0;     // outputs_[firstOut, firstOut + outCount)
    uint16_t edgeCount = 0;
    uint16_t outCount = 0;
  };
  struct Edge {
    uint8_t cls;
    uint32_t target;
  };

  uint32_t child(uint32_t state, uint8_t cls) const;  // sparse edge; 0 when there is none
  uint32_t step(uint32_t state, uint8_t cls) const;

  std::vector<Node> nodes_;
  std::vector<Edge> edges_;
  std::vector<int> outputs_;
  std::vector<uint64_t> reports_;  // bit per state: it or its fail chain has outputs
  std::vector<uint32_t> dense_;  // state s < denseStates_: row s, classes_ entries
  uint32_t denseStates_ = 0;
  uint32_t classes_ = 1;
  uint8_t classOf_[256] = {};
};

}  // namespace tollgate::filters::lists
