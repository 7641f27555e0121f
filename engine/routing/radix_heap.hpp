#pragma once
// A monotone priority queue for Dijkstra with integer keys (a radix heap): pushes never go
// below the last popped key, which lets it bucket entries by the highest bit that differs.

#include <array>
#include <bit>
#include <cstdint>
#include <utility>
#include <vector>

namespace citytwin {

template <class Value>
class radix_heap {
 public:
  using key_type = std::uint32_t;

  [[nodiscard]] bool empty() const { return size_ == 0; }

  void clear() {
    for (auto& b : buckets_) b.clear();
    size_ = 0;
    last_ = 0;
  }

  // Precondition: key >= the last key popped.
  void push(key_type key, Value value) {
    buckets_[bucket_of(key)].emplace_back(key, value);
    ++size_;
  }

  // Removes and returns an entry with the smallest key.
  std::pair<key_type, Value> pop() {
    if (buckets_[0].empty()) refill();
    auto top = buckets_[0].back();
    buckets_[0].pop_back();
    --size_;
    return top;
  }

 private:
  [[nodiscard]] std::size_t bucket_of(key_type key) const {
    return key == last_ ? 0 : static_cast<std::size_t>(32 - std::countl_zero(key ^ last_));
  }

  // Moves the smallest non-empty bucket down around its minimum key.
  void refill() {
    std::size_t i = 1;
    while (buckets_[i].empty()) ++i;
    key_type smallest = buckets_[i].front().first;
    for (const auto& e : buckets_[i]) smallest = std::min(smallest, e.first);
    last_ = smallest;
    auto moving = std::move(buckets_[i]);
    buckets_[i].clear();
    for (auto& e : moving) buckets_[bucket_of(e.first)].push_back(e);
    moving.clear();
    buckets_[i].swap(moving);  // keep the capacity for reuse
  }

  std::array<std::vector<std::pair<key_type, Value>>, 33> buckets_;
  std::size_t size_ = 0;
  key_type last_ = 0;
};

}  // namespace citytwin
