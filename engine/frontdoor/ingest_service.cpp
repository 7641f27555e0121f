#include "engine/frontdoor/ingest_service.hpp"

#include <chrono>
#include <fmt/format.h>

#include "engine/frontdoor/ingest_audit.hpp"
#include "engine/frontdoor/reading_application.hpp"
#include "engine/store/twin_store.hpp"

namespace citytwin {

namespace {

void reject_all(const v1::IngestBatch& batch, v1::IngestAck& ack, v1::RejectionCode code, const std::string& reason) {
  for (int i = 0; i < batch.readings_size(); ++i) {
    auto* r = ack.add_rejected();
    r->set_index(static_cast<std::uint32_t>(i));
    r->set_code(code);
    r->set_reason(reason);
  }
}

const std::string ingest_method = "/" + std::string(v1::IngestService::service_full_name()) + "/Ingest";

}  // namespace

assimilation_batch ingest_service::plan_assimilation(const v1::IngestBatch& batch,
                                                     std::vector<std::pair<int, accepted_reading>>& accepted,
                                                     std::vector<stored_reading>& stored,
                                                     std::uint64_t first_log_position) {
  assimilation_batch plan;
  plan.source = batch.source();
  plan.analytics = context_.analytics;
  const auto view = plan.analytics ? context_.twin.view() : nullptr;
  for (std::size_t k = 0; k < accepted.size(); ++k) {
    auto& [i, target] = accepted[k];
    const v1::Reading& reading = batch.readings(i);
    std::optional<std::size_t> assessed;
    // Segment events are control, not sensor readings: analytics does not weigh them.
    if (plan.analytics && !reading.has_segment_event()) {
      assessed = plan.readings.size();
      plan.readings.push_back(feed_reading_of(reading, stored[k].twin_id, target.segment, view.get()));
      plan.twin_ids.push_back(std::move(stored[k].twin_id));
    }
    const bool grid_reading = reading.has_meter() || reading.has_scada();
    const bool newest = record_reading(reading, grid_reading ? no_segment : target.segment, first_log_position + k, context_.inputs);
    if (!grid_reading && context_.twin.from_epoch_ms(segment_reading_time_ms(reading)) > context_.twin.now()) {
      // Timed ahead of the clock (a planned closure, say): the twin passes through it even if a later one came first.
      plan.updates.push_back({target.segment, reading.has_segment_event(), reading.has_traffic_detector(), assessed,
                              inputs_of(reading, target.segment, first_log_position + k)});
      continue;
    }
    if (!newest) continue;
    if (grid_reading)
      send_to_grid(reading, first_log_position + k, context_.inputs, *context_.catalog.grid);
    else
      plan.updates.push_back({target.segment, reading.has_segment_event(), reading.has_traffic_detector(), assessed, std::nullopt});
  }
  return plan;
}

v1::IngestAck ingest_service::handle_batch(const v1::IngestBatch& batch, const audit_call& call) {
  v1::IngestAck ack;
  ack.set_sequence(batch.sequence());
  // A batch refused as a whole is recorded with that refusal as its outcome.
  auto refuse = [&](v1::RejectionCode code, grpc::StatusCode status, const std::string& reason) {
    reject_all(batch, ack, code, reason);
    context_.audit.record(ingest_batch_record(context_.audit, call, batch, ack), {status, reason});
    return ack;
  };
  if (batch.source().empty())
    return refuse(v1::REJECTION_CODE_INVALID_ARGUMENT, grpc::StatusCode::INVALID_ARGUMENT,
                  "the batch has no source, so duplicates cannot be told apart");
  if (static_cast<std::size_t>(batch.readings_size()) > context_.limits.max_readings_per_batch)
    return refuse(v1::REJECTION_CODE_OUT_OF_RANGE, grpc::StatusCode::OUT_OF_RANGE,
                  fmt::format("the batch has {} readings; at most {} are accepted per batch", batch.readings_size(),
                              context_.limits.max_readings_per_batch));
  const std::int64_t now_ms = wall_clock_epoch_ms();
  std::vector<stored_reading> records;
  std::vector<std::pair<int, accepted_reading>> accepted;
  records.reserve(static_cast<std::size_t>(batch.readings_size()));
  accepted.reserve(static_cast<std::size_t>(batch.readings_size()));
  for (int i = 0; i < batch.readings_size(); ++i) {
    auto verdict = validate_reading(batch.readings(i), static_cast<std::uint32_t>(i), context_.catalog, now_ms,
                                    context_.limits);
    if (auto* bad = std::get_if<rejection>(&verdict)) {
      auto* r = ack.add_rejected();
      r->set_index(bad->index);
      r->set_code(bad->code);
      r->set_reason(bad->reason);
      continue;
    }
    auto& ok = std::get<accepted_reading>(verdict);
    // The twin id moves to the stored reading; plan_assimilation takes it from there.
    records.push_back(stored_reading{std::move(ok.twin_id), ok.time_ms,
                                     static_cast<std::uint32_t>(batch.readings(i).reading_case()),
                                     batch.readings(i).SerializeAsString()});
    accepted.emplace_back(i, std::move(ok));
  }
  ack.set_accepted(static_cast<std::uint32_t>(accepted.size()));
  // The batch's audit record goes in the same write as its readings: both are kept, or neither.
  auto record = ingest_batch_record(context_.audit, call, batch, ack);
  audit_trail::set_outcome(record, grpc::Status::OK);
  const std::string record_bytes = record.SerializeAsString();
  const audit_append audit{record.time_ms(), record_bytes};
  std::shared_lock lock(context_.snapshot_lock);
  append_result written;
  try {
    // Durable first: the ack below promises the readings survive a crash.
    written = context_.store.append_batch(batch.source(), batch.sequence(), records, &audit);
  } catch (const std::exception& e) {
    context_.audit.record(std::move(record), {grpc::StatusCode::UNAVAILABLE, std::string("not stored: ") + e.what()});
    throw;
  }
  if (written.duplicate) {
    ack.set_duplicate(true);
    ack.clear_rejected();
    ack.set_accepted(0);
    context_.audit.record(ingest_batch_record(context_.audit, call, batch, ack), grpc::Status::OK);
    return ack;
  }
  // The batch's readings hold consecutive log positions ending at written.log_position.
  const std::uint64_t first = written.log_position + 1 - records.size();
  assimilation_batch plan = plan_assimilation(batch, accepted, records, first);
  lock.unlock();  // the readings are in the inputs, so a snapshot taken now covers them
  context_.assimilation.submit(std::move(plan));
  return ack;
}

grpc::Status ingest_service::Ingest(grpc::ServerContext* context,
                                    grpc::ServerReaderWriter<v1::IngestAck, v1::IngestBatch>* stream) {
  caller who;
  const grpc::Status authorization = context_.access.authorize(*context, role::feed, who);
  const audit_call call = grpc_audit_call(*context, authorization, who, ingest_method);
  if (!authorization.ok()) {
    context_.audit.record(context_.audit.describe(call, "ingest stream refused"), authorization);
    return authorization;
  }
  v1::IngestBatch batch;
  const ingest_metrics& metrics = context_.metrics;
  while (stream->Read(&batch)) {
    const auto arrived = std::chrono::steady_clock::now();
    v1::IngestAck ack;
    try {
      ack = handle_batch(batch, call);
    } catch (const std::exception& e) {
      metrics.count_not_stored(batch.readings_size());
      // Nothing of this batch was acknowledged; the sender retries it on a new stream.
      return {grpc::StatusCode::UNAVAILABLE, fmt::format("batch {} was not stored: {}", batch.sequence(), e.what())};
    }
    metrics.count_ack(ack, batch.readings_size());
    if (!stream->Write(ack)) return {grpc::StatusCode::CANCELLED, "the sender went away"};
    metrics.observe_ack_latency(std::chrono::duration<double>(std::chrono::steady_clock::now() - arrived).count());
  }
  return grpc::Status::OK;
}

}  // namespace citytwin
