#include "engine/frontdoor/segment_directory.hpp"

#include <charconv>
#include <fmt/format.h>

namespace citytwin {

segment_directory::segment_directory(const city_graph& graph) {
  ids_.reserve(graph.segments.size());
  std::unordered_map<std::string, int> seen;
  for (const road_segment_spec& s : graph.segments) {
    std::string id = fmt::format("{}-{}", graph.nodes[s.from].external_id, graph.nodes[s.to].external_id);
    const int n = ++seen[id];
    if (n > 1) id += fmt::format("~{}", n);
    by_id_.emplace(id, s.id);
    ids_.push_back(std::move(id));
  }
}

std::variant<segment_id, std::string> segment_directory::resolve(std::string_view id) const {
  if (id.empty()) return std::string("the segment id is missing");
  if (const auto found = by_id_.find(std::string(id)); found != by_id_.end()) return found->second;
  std::uint64_t index = 0;
  const auto [end, error] = std::from_chars(id.data(), id.data() + id.size(), index);
  if (error == std::errc() && end == id.data() + id.size()) {
    if (index < ids_.size()) return static_cast<segment_id>(index);
    return fmt::format("segment {} does not exist (indexes run 0..{})", id, ids_.size() - 1);
  }
  return fmt::format("no segment '{}' (ids are FROM-TO node pairs, like {})", id, ids_.empty() ? "1-2" : ids_[0]);
}

}  // namespace citytwin
