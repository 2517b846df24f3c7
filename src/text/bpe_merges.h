#pragma once
// BPE merges: the ranked pair table and the merge loop, shared by GPT2Tokenizer and the BPE model
// of tokenizer.json pipelines.
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace ember::text::detail {

class BpeMerges {
 public:
  // Returns false when (left, right) already has a merge.
  bool add(int32_t left, int32_t right, int32_t rank, int32_t merged) {
    return table_.emplace(key(left, right), Merge{rank, merged}).second;
  }
  void reserve(size_t n) { table_.reserve(n); }
  size_t size() const { return table_.size(); }

  // Merges adjacent symbols, lowest rank first; among equal ranks (the same pair occurring
  // several times) leftmost first. In place: `ids` are the symbols; `starts` (optional) their
  // start offsets, kept in step (a merged symbol starts where its left part did).
  void apply(std::vector<int32_t>& ids, std::vector<uint32_t>* starts) const;

 private:
  struct Merge {
    int32_t rank;
    int32_t merged;
  };
  static uint64_t key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  std::unordered_map<uint64_t, Merge> table_;  // (left id, right id) -> rank and merged id
};

}  // namespace ember::text::detail
