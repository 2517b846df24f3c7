// The BPE merge loop: a min-heap of candidate pairs over a linked list of symbols.
#include "text/bpe_merges.h"

#include <functional>
#include <queue>

namespace ember::text::detail {

// A min-heap of candidate pairs keeps long pieces O(n log n). This equals GPT-2's loop (merge
// every occurrence of the lowest-rank pair, repeat) and `tokenizers`' because a merge can only
// create pairs of higher rank: a token is used by merges learned after it.
void BpeMerges::apply(std::vector<int32_t>& ids, std::vector<uint32_t>* starts) const {
  const auto n = static_cast<int32_t>(ids.size());
  if (n < 2) return;
  std::vector<int32_t>& id = ids;
  std::vector<int32_t> next(n), prev(n);
  for (int32_t i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  struct Candidate {
    int32_t rank, pos, left, right, merged;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  auto push_pair = [&](int32_t i) {
    const int32_t j = next[i];
    if (j < 0) return;
    if (auto it = table_.find(key(id[i], id[j])); it != table_.end())
      heap.push({it->second.rank, i, id[i], id[j], it->second.merged});
  };
  for (int32_t i = 0; i + 1 < n; ++i) push_pair(i);
  bool merged_any = false;
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    // Stale when either symbol has merged since: a merge gives a new id, so equal ids (and the
    // same right neighbour) mean the same pair.
    const int32_t j = next[c.pos];
    if (id[c.pos] != c.left || j < 0 || id[j] != c.right) continue;
    id[c.pos] = c.merged;
    id[j] = -1;  // dead: no candidate's left or right is -1
    next[c.pos] = next[j];
    if (next[j] >= 0) prev[next[j]] = c.pos;
    if (prev[c.pos] >= 0) push_pair(prev[c.pos]);
    push_pair(c.pos);
    merged_any = true;
  }
  if (!merged_any) return;
  int32_t k = 0;
  for (int32_t i = 0; i >= 0; i = next[i]) {
    id[k] = id[i];
    if (starts) (*starts)[k] = (*starts)[i];
    ++k;
  }
  id.resize(k);
  if (starts) starts->resize(k);
}

}  // namespace ember::text::detail
