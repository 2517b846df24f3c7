#pragma once
// VocabMap: an immutable token -> id hash table looked up by string_view, for the models' inner
// loops (WordPiece tries several substrings per word). Open addressing over one byte arena: no
// allocation per lookup and about one cache miss per probe, where std::unordered_map<std::string>
// costs a node hop and a std::string per heterogeneous lookup.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ember::text::detail {

class VocabMap {
 public:
  VocabMap() = default;

  // Adds a token (keys must be distinct: returns false for a repeat). Call build() after the
  // last insert and before the first lookup.
  bool insert(std::string_view key, int32_t id) {
    pending_.push_back({static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(key.size()), id, hash(key)});
    arena_.append(key);
    return true;
  }
  // Sizes the table; returns the first repeated key (empty view when none).
  std::string_view build() {
    size_t cap = 16;
    while (cap < pending_.size() * 2) cap <<= 1;
    mask_ = cap - 1;
    slots_.assign(cap, Slot{0, 0, -1, 0});
    max_len_ = 0;
    for (const Slot& s : pending_) {
      const std::string_view key(arena_.data() + s.offset, s.len);
      for (size_t i = s.hash & mask_;; i = (i + 1) & mask_) {
        Slot& t = slots_[i];
        if (t.id < 0) {
          t = s;
          break;
        }
        if (t.hash == s.hash && std::string_view(arena_.data() + t.offset, t.len) == key) return key;
      }
      if (s.len > max_len_) max_len_ = s.len;
    }
    size_ = pending_.size();
    pending_.clear();
    pending_.shrink_to_fit();
    return {};
  }

  // The id of `key`, or -1.
  int32_t find(std::string_view key) const {
    if (slots_.empty()) return -1;
    const uint32_t h = hash(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& t = slots_[i];
      if (t.id < 0) return -1;
      if (t.hash == h && t.len == key.size() && std::string_view(arena_.data() + t.offset, t.len) == key) return t.id;
    }
  }

  size_t size() const { return size_; }
  size_t max_key_length() const { return max_len_; }

 private:
  struct Slot {
    uint32_t offset, len;
    int32_t id;  // -1: empty
    uint32_t hash;
  };
  // FNV-1a: keys are short (a few bytes), where it beats block hashes.
  static uint32_t hash(std::string_view s) {
    uint64_t h = 1469598103934665603ULL;
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    return static_cast<uint32_t>(h ^ (h >> 32));
  }
  std::string arena_;
  std::vector<Slot> pending_, slots_;
  size_t mask_ = 0, size_ = 0, max_len_ = 0;
};

}  // namespace ember::text::detail
