#pragma once
// Stable, readable twin ids for road segments: "FROM-TO" in the source's own node ids (TNTP node
// numbers, OSM node ids), so an id survives re-imports; parallel segments between the same two
// nodes are told apart as "FROM-TO~2", "~3", ... in segment order. Lookups are hashed because
// every ingested reading resolves one.

#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "engine/city/city_graph.hpp"

namespace citytwin {

class segment_directory {
 public:
  explicit segment_directory(const city_graph& graph);

  const std::string& id_of(segment_id segment) const { return ids_[segment]; }
  // Accepts the stable id, or the segment's index as a plain number; otherwise says why not.
  std::variant<segment_id, std::string> resolve(std::string_view id) const;
  std::size_t size() const { return ids_.size(); }

 private:
  std::vector<std::string> ids_;
  std::unordered_map<std::string, segment_id> by_id_;
};

}  // namespace citytwin
