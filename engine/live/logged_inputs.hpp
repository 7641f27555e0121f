#pragma once
// The inputs a live twin takes, each with the store log position of the reading it came from, and
// what a cluster's node 0 saves with every checkpoint so that a new node 0 process resumes the
// live twin where the lost one was (input_journal.hpp says how).

#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "engine/runtime/traffic_messages.hpp"

namespace citytwin {

struct logged_control {
  segment_control control;
  std::uint64_t log_position = 0;  // 0: not from the store
  bool operator==(const logged_control&) const = default;
};

struct logged_observation {
  segment_id segment = no_segment;
  detector_observation observation;
  std::uint64_t log_position = 0;
  bool operator==(const logged_observation&) const = default;
};

struct window_inputs {
  std::vector<logged_control> controls;
  std::vector<logged_observation> observations;
  bool empty() const { return controls.empty() && observations.empty(); }
  std::size_t size() const { return controls.size() + observations.size(); }
  bool operator==(const window_inputs&) const = default;
};

// The newest input of one kind that a segment has taken, by time and then log position (the order
// twin_inputs calls newest): a stored reading at or before it has reached the twin already.
struct taken_input {
  sim_time at = 0;
  std::uint64_t log_position = 0;
  auto operator<=>(const taken_input&) const = default;
};

struct taken_inputs {
  std::optional<taken_input> status;  // closed or reopened
  std::optional<taken_input> capacity;
  std::optional<taken_input> observation;
  bool operator==(const taken_inputs&) const = default;
};

// What node 0's live twin saves with a complete checkpoint at `time`. With the journal of the
// windows after it, a new process resumes the twin: the same clock, inbox and inputs.
struct live_resume_point {
  std::int64_t epoch_at_start_ms = 0;
  sim_time time = 0;
  window_inputs pending;  // submitted, not yet taken by a window
  std::vector<std::pair<segment_id, taken_inputs>> taken;
  bool operator==(const live_resume_point&) const = default;
};

struct live_resume {
  live_resume_point point;
  std::map<sim_time, window_inputs> journal;  // the windows from point.time on that took inputs
};

// Keeps the journal durable (engine/cluster/journal_file.hpp): a window's inputs are on disk
// before the window runs.
class journal_log {
 public:
  virtual ~journal_log() = default;
  virtual void append(sim_time start, const window_inputs& inputs) = 0;
  // Replaces what is kept with these windows (a checkpoint completed).
  virtual void rewrite(const std::map<sim_time, window_inputs>& kept) = 0;
};

}  // namespace citytwin
