#pragma once
// The live twin's published state, and where readers get it: the live twin itself (one process,
// or node 0 of a cluster) or, at the other nodes of a live cluster, a mirror of node 0's.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/runtime/traffic_messages.hpp"

namespace citytwin {

// One published state of every segment, immutable once published.
struct twin_view {
  std::uint64_t version = 0;
  sim_time time = 0;
  std::int64_t epoch_ms = 0;
  std::vector<segment_snapshot> segments;
};

class published_views {
 public:
  virtual ~published_views() = default;
  // The newest view. A source that has to ask elsewhere throws std::runtime_error (saying why) when
  // it cannot; the live twin never throws.
  virtual std::shared_ptr<const twin_view> view() const = 0;
  // Blocks until a view newer than `version` exists (or the timeout passes, or the twin stops);
  // throws as view().
  virtual std::shared_ptr<const twin_view> wait_for_view_after(std::uint64_t version, std::chrono::milliseconds timeout) const = 0;
  // The simulation's error, if it stopped on one.
  virtual std::optional<std::string> failure() const = 0;
};

}  // namespace citytwin
