#pragma once
// Hands stored readings to the live twin on a thread of its own, after live analytics has weighed
// them, so that an ack waits for the durable write only. Readings are recorded in the twin's inputs
// (and so in snapshots) before the ack; what this queue defers is their reaching the simulation.
// The queue is bounded: when the twin falls behind, ingest waits here rather than growing memory.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/analytics/feed_reading.hpp"
#include "engine/live/live_twin.hpp"
#include "engine/live/twin_inputs.hpp"

namespace citytwin {

class feed_analytics;

// A segment whose newest event and/or observation changed with this batch, or a reading timed
// ahead of the twin's clock, which the twin takes when its clock gets there, newest or not.
struct segment_update {
  segment_id segment = no_segment;
  bool events = false;
  bool observations = false;
  std::optional<std::size_t> reading;  // index in the batch's `readings` whose trust weighs the observation
  std::optional<segment_inputs> ahead;  // that reading alone; null: the segment's newest inputs
};

// What one stored batch still has to do.
struct assimilation_batch {
  std::string source;
  feed_analytics* analytics = nullptr;  // null: every observation is trusted fully
  // The readings analytics weighs, in batch order; each one's twin_id is pointed at its owned id when applied.
  std::vector<feed_reading> readings;
  std::vector<std::string> twin_ids;
  std::vector<segment_update> updates;
};

class ingest_assimilation {
 public:
  ingest_assimilation(live_twin& twin, const twin_inputs& inputs, std::size_t max_queued_batches = 64);
  ~ingest_assimilation();  // applies what is queued, then stops
  ingest_assimilation(const ingest_assimilation&) = delete;
  ingest_assimilation& operator=(const ingest_assimilation&) = delete;

  // Queues a batch; blocks while max_queued_batches are waiting.
  void submit(assimilation_batch batch);
  // Returns once every batch submitted before the call has reached the twin (tests, shutdown).
  void drain();

 private:
  void run();
  void apply(assimilation_batch& batch);

  live_twin& twin_;
  const twin_inputs& inputs_;
  const std::size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<assimilation_batch> queue_;
  std::uint64_t submitted_ = 0, applied_ = 0;
  bool stopping_ = false;
  std::thread worker_;  // last: starts once everything above exists
};

}  // namespace citytwin
