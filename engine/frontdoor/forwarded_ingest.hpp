#pragma once
// Node 0 of a live cluster takes the readings that other nodes' front doors receive: a forwarded
// batch is validated, stored durably and applied exactly as one that came in here (duplicates
// included), and audited under the caller the other node authorized.

#include <string>

#include "engine/cluster/forwarded_caller.hpp"
#include "engine/frontdoor/frontdoor_context.hpp"

namespace citytwin {

// `batch` is a serialized IngestBatch; returns the serialized IngestAck, sent once the batch is
// stored. Throws std::invalid_argument when `batch` does not parse, and whatever the store throws
// when it cannot write (nothing is acknowledged then).
std::string ingest_forwarded_batch(frontdoor_context& context, const std::string& batch, const forwarded_caller& who);

}  // namespace citytwin
