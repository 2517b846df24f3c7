// Hash-then-strings agreement checks across ranks (DDP's model check, Context::check_agree).
#include "distributed/agree.h"

#include <algorithm>
#include <sstream>

#include "ember/autograd.h"
#include "ember/distributed/context.h"
#include "ember/ops.h"

namespace ember::distributed {

namespace detail {

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::vector<std::string> allgather_strings(ProcessGroup& group, const std::string& mine) {
  NoGradGuard ng;
  Tensor len = tensor<int64_t>({static_cast<int64_t>(mine.size())}, {1});
  Tensor lens = group.allgather(len);  // (size, 1)
  std::vector<int64_t> l = lens.to_vector<int64_t>();
  int64_t longest = 1;
  for (int64_t v : l) longest = std::max(longest, v);
  Tensor buf = zeros({longest}, kInt32);
  int32_t* b = buf.data_ptr<int32_t>();
  for (size_t i = 0; i < mine.size(); ++i) b[i] = static_cast<unsigned char>(mine[i]);
  Tensor all = group.allgather(buf);  // (size, longest)
  const int32_t* a = all.data_ptr<int32_t>();
  std::vector<std::string> out;
  for (int r = 0; r < group.size(); ++r) {
    std::string s(static_cast<size_t>(l[static_cast<size_t>(r)]), '\0');
    for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(a[r * longest + static_cast<int64_t>(i)]);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<int> ranks_differing_from_0(ProcessGroup& group, const std::string& mine) {
  NoGradGuard ng;
  Tensor h = tensor<int64_t>({static_cast<int64_t>(fnv1a(mine))}, {1});
  std::vector<int64_t> hashes = group.allgather(h).to_vector<int64_t>();  // (size,)
  std::vector<int> differ;
  for (int r = 1; r < group.size(); ++r)
    if (hashes[static_cast<size_t>(r)] != hashes[0]) differ.push_back(r);
  return differ;
}

}  // namespace detail

void Context::check_agree(const std::vector<std::pair<std::string, std::string>>& values,
                          const std::string& what) const {
  if (size() == 1) return;
  std::string mine;  // "name\tvalue\n" per entry
  for (const auto& [name, value] : values) {
    std::string v = value;
    std::replace(v.begin(), v.end(), '\n', ' ');
    mine += name + "\t" + v + "\n";
  }
  const std::vector<int> differ = detail::ranks_differing_from_0(group(), mine);
  if (differ.empty()) return;
  // Every rank fetches every description, so every rank throws the same message.
  const std::vector<std::string> all = detail::allgather_strings(group(), mine);
  auto entries = [](const std::string& s) {
    std::vector<std::pair<std::string, std::string>> out;
    std::istringstream is(s);
    for (std::string line; std::getline(is, line);) {
      const size_t tab = line.find('\t');
      out.emplace_back(line.substr(0, tab), tab == std::string::npos ? "" : line.substr(tab + 1));
    }
    return out;
  };
  std::vector<std::vector<std::pair<std::string, std::string>>> per_rank;
  for (const std::string& s : all) per_rank.push_back(entries(s));
  std::string ranks, detail;
  for (size_t i = 0; i < differ.size(); ++i) ranks += (i ? ", " : "") + std::to_string(differ[i]);
  // Each entry where some rank differs from rank 0 (at most 4): every differing rank's value.
  int shown = 0;
  const auto& base = per_rank[0];
  for (size_t j = 0; j < base.size() && shown < 4; ++j) {
    std::string line;
    for (int r : differ) {
      const auto& e = per_rank[static_cast<size_t>(r)];
      const std::string v = j < e.size() && e[j].first == base[j].first ? e[j].second : "(none)";
      if (v != base[j].second) line += ", rank " + std::to_string(r) + " has " + v;
    }
    if (line.empty()) continue;
    detail += (shown++ ? "; " : "") + base[j].first + ": rank 0 has " + base[j].second + line;
  }
  if (detail.empty()) detail = "rank(s) " + ranks + " describe the run with other entries than rank 0";
  EMBER_FAIL(what, "the ranks disagree on the run: rank(s) ", ranks, " differ from rank 0 (", detail,
             "). Every rank must train with the same flags and data, or their collectives would not match; "
             "start all ranks with the same command line");
}

}  // namespace ember::distributed
