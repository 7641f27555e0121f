#pragma once
// Node 0 of a live cluster answers what other nodes' front doors forward: a batch of readings is
// validated, stored durably and applied exactly as one that came in here (duplicates included); a
// read of its store (GetHistory, GetStats) is answered as its own front door answers it; both are
// audited under the caller the other node authorized. Its published views go to their watchers.

#include <chrono>
#include <memory>
#include <shared_mutex>
#include <string>

#include "engine/cluster/forwarded_answer.hpp"
#include "engine/cluster/forwarded_caller.hpp"
#include "engine/frontdoor/frontdoor_context.hpp"

namespace citytwin {

// `batch` is a serialized IngestBatch; returns the serialized IngestAck, sent once the batch is
// stored. Throws std::invalid_argument when `batch` does not parse, and whatever the store throws
// when it cannot write (nothing is acknowledged then).
std::string ingest_forwarded_batch(frontdoor_context& context, const std::string& batch, const forwarded_caller& who);

// `method` is the full gRPC method ("/citytwin.v1.TwinService/GetHistory"), `request` its serialized
// request; the answer carries the status node 0's own front door gives (INVALID_ARGUMENT for a request
// that does not parse, UNIMPLEMENTED for a method other nodes do not forward).
forwarded_answer answer_forwarded_read(frontdoor_context& context, const std::string& method, const std::string& request,
                                       const forwarded_caller& who);

// Node 0's front door as the cluster reaches it: set while it serves, null before it goes.
class forwarded_ingest_target {
 public:
  void serve_with(frontdoor_context* context);
  // ingest_forwarded_batch; throws std::runtime_error while the front door is not serving.
  std::string ingest(const std::string& batch, const forwarded_caller& who);
  // answer_forwarded_read; throws likewise.
  forwarded_answer read(const std::string& method, const std::string& request, const forwarded_caller& who);
  // The live twin's view once newer than `version`, or the current one after `wait`; throws likewise,
  // and with the twin's failure once it stopped on one.
  std::shared_ptr<const twin_view> view_after(std::uint64_t version, std::chrono::milliseconds wait);

 private:
  frontdoor_context& serving() const;  // call with mutex_ held

  mutable std::shared_mutex mutex_;
  frontdoor_context* context_ = nullptr;
};

}  // namespace citytwin
