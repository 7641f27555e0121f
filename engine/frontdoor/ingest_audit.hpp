#pragma once
// The audit record of one Ingest batch: source, sequence, how many readings were accepted and
// rejected, the road events and breaker states it carried, and a one-line summary.

#include "citytwin/v1/twin.pb.h"
#include "engine/frontdoor/audit_trail.hpp"

namespace citytwin {

// From the batch and its ack (accepted, rejected, duplicate as they stand); the outcome is left to the caller.
v1::AuditRecord ingest_batch_record(const audit_trail& trail, const audit_call& call, const v1::IngestBatch& batch,
                                    const v1::IngestAck& ack);

}  // namespace citytwin
