#pragma once
// Node 0 of a live cluster takes the readings that other nodes' front doors receive: a forwarded
// batch is validated, stored durably and applied exactly as one that came in here (duplicates
// included), and audited under the caller the other node authorized.

#include <shared_mutex>
#include <string>

#include "engine/cluster/forwarded_caller.hpp"
#include "engine/frontdoor/frontdoor_context.hpp"

namespace citytwin {

// `batch` is a serialized IngestBatch; returns the serialized IngestAck, sent once the batch is
// stored. Throws std::invalid_argument when `batch` does not parse, and whatever the store throws
// when it cannot write (nothing is acknowledged then).
std::string ingest_forwarded_batch(frontdoor_context& context, const std::string& batch, const forwarded_caller& who);

// Node 0's front door as the cluster reaches it: set while it serves, null before it goes.
class forwarded_ingest_target {
 public:
  void serve_with(frontdoor_context* context);
  // ingest_forwarded_batch; throws std::runtime_error while the front door is not serving.
  std::string ingest(const std::string& batch, const forwarded_caller& who);
  // After a rollback: every segment's newest stored event and observation reach the simulation
  // again (those timed after the rollback point wait for their window, as on a restart).
  void resubmit_inputs();

 private:
  std::shared_mutex mutex_;
  frontdoor_context* context_ = nullptr;
};

}  // namespace citytwin
