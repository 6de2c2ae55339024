#include "filters/lists/atom_matcher.h"

#include <algorithm>
#include <map>

namespace tollgate::filters::lists {

namespace {

inline uint8_t fold(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c - 'A' + 'a') : c;
}

}  // namespace

AtomMatcher::AtomMatcher(const std::vector<std::string>& atoms) {
  // Byte classes: class 0 for bytes in no atom.
  bool used[256] = {};
  for (const auto& a : atoms) {
    for (unsigned char c : a) used[fold(c)] = true;
  }
  classes_ = 1;
  for (int b = 0; b < 256; ++b) {
    if (used[b]) classOf_[b] = static_cast<uint8_t>(classes_++);
  }
  for (int b = 'A'; b <= 'Z'; ++b) classOf_[b] = classOf_[b - 'A' + 'a'];

  // Trie with map children, then flattened to sorted edge arrays.
  std::vector<std::map<uint8_t, uint32_t>> trie(1);
  std::vector<std::vector<int>> out(1);
  std::vector<int> depth(1, 0);
  for (size_t i = 0; i < atoms.size(); ++i) {
    if (atoms[i].empty()) continue;
    uint32_t s = 0;
    for (unsigned char c : atoms[i]) {
      uint8_t k = classOf_[c];
      auto it = trie[s].find(k);
      if (it == trie[s].end()) {
        uint32_t n = static_cast<uint32_t>(trie.size());
        trie[s].emplace(k, n);
        trie.emplace_back();
        out.emplace_back();
        depth.push_back(depth[s] + 1);
        s = n;
      } else {
        s = it->second;
      }
    }
    out[s].push_back(static_cast<int>(i));
  }
  // Breadth-first order: a state's fail state and parent come before it, which the fail-link
  // pass below needs.
  std::vector<uint32_t> order{0};
  for (size_t i = 0; i < order.size(); ++i) {
    for (auto [k, t] : trie[order[i]]) order.push_back(t);
  }
  // Ids: the dense states (depth <= kDenseDepth) first, breadth-first, so they are [0,
  // denseStates_); every deeper state in depth-first order below them, so the walk down one
  // long atom (what a matching URL does) reads consecutive nodes and edges instead of one cache
  // miss per byte.
  std::vector<uint32_t> newId(trie.size(), UINT32_MAX);
  uint32_t next = 0;
  for (uint32_t old : order) {
    if (depth[old] <= kDenseDepth) newId[old] = next++;
  }
  denseStates_ = next;
  std::vector<uint32_t> stack;
  for (uint32_t old : order) {
    if (depth[old] != kDenseDepth) continue;
    for (auto it = trie[old].rbegin(); it != trie[old].rend(); ++it) stack.push_back(it->second);
    while (!stack.empty()) {
      uint32_t v = stack.back();
      stack.pop_back();
      newId[v] = next++;
      for (auto it = trie[v].rbegin(); it != trie[v].rend(); ++it) stack.push_back(it->second);
    }
  }
  std::vector<uint32_t> byId(trie.size());
  for (uint32_t old = 0; old < trie.size(); ++old) byId[newId[old]] = old;
  nodes_.resize(trie.size());
  for (uint32_t id = 0; id < byId.size(); ++id) {
    uint32_t old = byId[id];
    Node& n = nodes_[id];
    n.firstEdge = static_cast<uint32_t>(edges_.size());
    n.edgeCount = static_cast<uint16_t>(trie[old].size());
    for (auto [k, t] : trie[old]) edges_.push_back({k, newId[t]});
    n.firstOut = static_cast<uint32_t>(outputs_.size());
    n.outCount = static_cast<uint16_t>(out[old].size());
    outputs_.insert(outputs_.end(), out[old].begin(), out[old].end());
  }
  dense_.assign(static_cast<size_t>(denseStates_) * classes_, 0);
  reports_.assign((nodes_.size() + 63) / 64, 0);
  // Breadth-first: fail links, output links, dense rows (with the fail links resolved).
  for (uint32_t old : order) {
    const uint32_t s = newId[old];
    const Node& n = nodes_[s];
    for (uint32_t e = n.firstEdge; e < n.firstEdge + n.edgeCount; ++e) {
      uint32_t t = edges_[e].target;
      uint32_t f = s == 0 ? 0 : step(n.fail, edges_[e].cls);
      nodes_[t].fail = f;
      nodes_[t].outLink = nodes_[f].outCount > 0 ? f : nodes_[f].outLink;
      if (nodes_[t].outCount > 0 || nodes_[t].outLink != 0) {
        reports_[t >> 6] |= uint64_t{1} << (t & 63);
      }
    }
    if (s < denseStates_) {
      uint32_t* row = &dense_[static_cast<size_t>(s) * classes_];
      for (uint32_t k = 0; k < classes_; ++k) {
        uint32_t t = child(s, static_cast<uint8_t>(k));
        row[k] = t != 0 ? t : (s == 0 ? 0 : step(n.fail, static_cast<uint8_t>(k)));
      }
    }
  }
}

uint32_t AtomMatcher::child(uint32_t state, uint8_t cls) const {
  const Node& n = nodes_[state];
  const Edge* begin = edges_.data() + n.firstEdge;
  const Edge* end = begin + n.edgeCount;
  if (n.edgeCount <= 8) {
    for (const Edge* e = begin; e != end; ++e) {
      if (e->cls == cls) return e->target;
    }
    return 0;
  }
  const Edge* e =
      std::lower_bound(begin, end, cls, [](const Edge& x, uint8_t c) { return x.cls < c; });
  return (e != end && e->cls == cls) ? e->target : 0;
}

uint32_t AtomMatcher::step(uint32_t state, uint8_t cls) const {
  for (;;) {
    if (state < denseStates_) return dense_[static_cast<size_t>(state) * classes_ + cls];
    uint32_t t = child(state, cls);
    if (t != 0) return t;
    state = nodes_[state].fail;
  }
}

void AtomMatcher::find(std::string_view text, std::vector<int>* ids) const {
  ids->clear();
  if (nodes_.size() <= 1) return;
  uint32_t s = 0;
  for (unsigned char c : text) {
    uint8_t k = classOf_[c];
    s = s < denseStates_ ? dense_[static_cast<size_t>(s) * classes_ + k] : step(s, k);
    if ((reports_[s >> 6] >> (s & 63) & 1) == 0) continue;
    for (uint32_t o = nodes_[s].outCount > 0 ? s : nodes_[s].outLink; o != 0;
         o = nodes_[o].outLink) {
      const Node& n = nodes_[o];
      ids->insert(ids->end(), outputs_.begin() + n.firstOut,
                  outputs_.begin() + n.firstOut + n.outCount);
    }
  }
  std::sort(ids->begin(), ids->end());
  ids->erase(std::unique(ids->begin(), ids->end()), ids->end());
}

size_t AtomMatcher::memoryBytes() const {
  return nodes_.capacity() * sizeof(Node) + edges_.capacity() * sizeof(Edge) +
         outputs_.capacity() * sizeof(int) + dense_.capacity() * sizeof(uint32_t) + reports_.capacity() * 8;
}

}  // namespace tollgate::filters::lists
