#pragma once
// IngestService: batches of readings in, one ack per batch out. A batch's accepted readings are
// written to the store in one synced write and recorded in the twin's inputs before the ack is
// sent; analytics and the simulation take them from a queue (ingest_assimilation). A repeated
// (source, sequence) is acknowledged as a duplicate and applied no second time.

#include "citytwin/v1/twin.grpc.pb.h"
#include "engine/frontdoor/frontdoor_context.hpp"
#include "engine/store/stored_reading.hpp"

#include <utility>
#include <vector>

namespace citytwin {

class ingest_service final : public v1::IngestService::Service {
 public:
  explicit ingest_service(frontdoor_context& context) : context_(context) {}

  grpc::Status Ingest(grpc::ServerContext* context,
                      grpc::ServerReaderWriter<v1::IngestAck, v1::IngestBatch>* stream) override;

  // One batch, without the transport: what the stream does for each message. Leaves one audit
  // record of the batch, made by `call` (written with the readings when the batch is stored). Throws
  // when the store cannot write (then nothing was acknowledged or applied).
  v1::IngestAck handle_batch(const v1::IngestBatch& batch, const audit_call& call);

 private:
  // Records the stored readings in the twin's inputs (grid readings also reach the grid) and lists
  // what the assimilation queue still does: analytics, then the segments' new inputs to the simulation.
  // `stored` (parallel to `accepted`, which has given its twin ids to it) gives up its twin ids.
  assimilation_batch plan_assimilation(const v1::IngestBatch& batch, std::vector<std::pair<int, accepted_reading>>& accepted,
                                       std::vector<stored_reading>& stored, std::uint64_t first_log_position);

  frontdoor_context& context_;
};

}  // namespace citytwin
