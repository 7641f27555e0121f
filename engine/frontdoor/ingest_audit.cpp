#include "engine/frontdoor/ingest_audit.hpp"

#include <fmt/format.h>

#include <set>

namespace citytwin {

namespace {

void count_events(const v1::IngestBatch& batch, const v1::IngestAck& ack, v1::IngestBatchAudit& out) {
  if (ack.duplicate()) return;  // nothing of a duplicate is applied
  std::set<std::uint32_t> rejected;
  for (const auto& r : ack.rejected()) rejected.insert(r.index());
  for (int i = 0; i < batch.readings_size(); ++i) {
    if (rejected.count(static_cast<std::uint32_t>(i))) continue;
    const v1::Reading& reading = batch.readings(i);
    if (reading.has_segment_event()) {
      switch (reading.segment_event().kind()) {
        case v1::SegmentEvent::KIND_CLOSED: out.set_closures(out.closures() + 1); break;
        case v1::SegmentEvent::KIND_REOPENED: out.set_reopenings(out.reopenings() + 1); break;
        case v1::SegmentEvent::KIND_CAPACITY_CHANGED: out.set_capacity_changes(out.capacity_changes() + 1); break;
        default: break;
      }
    } else if (reading.has_scada() && reading.scada().breaker_state() != v1::BREAKER_STATE_UNSPECIFIED) {
      out.set_breaker_changes(out.breaker_changes() + 1);
    }
  }
}

std::string summarize(const v1::IngestBatchAudit& d) {
  std::string text = fmt::format("batch {} #{}: {} readings", d.source(), d.sequence(), d.readings());
  if (d.duplicate()) return text + ", duplicate (not applied again)";
  text += fmt::format(", {} accepted, {} rejected", d.accepted(), d.rejected());
  auto add = [&](std::uint32_t n, const char* one, const char* many) {
    if (n > 0) text += fmt::format(", {} {}", n, n == 1 ? one : many);
  };
  add(d.closures(), "closure", "closures");
  add(d.reopenings(), "reopening", "reopenings");
  add(d.capacity_changes(), "capacity change", "capacity changes");
  add(d.breaker_changes(), "breaker state", "breaker states");
  return text;
}

}  // namespace

v1::AuditRecord ingest_batch_record(const audit_trail& trail, const audit_call& call, const v1::IngestBatch& batch,
                                    const v1::IngestAck& ack) {
  v1::IngestBatchAudit details;
  details.set_source(batch.source());
  details.set_sequence(batch.sequence());
  details.set_readings(static_cast<std::uint32_t>(batch.readings_size()));
  details.set_accepted(ack.accepted());
  details.set_rejected(static_cast<std::uint32_t>(ack.rejected_size()));
  details.set_duplicate(ack.duplicate());
  count_events(batch, ack, details);
  auto record = trail.describe(call, summarize(details));
  *record.mutable_ingest_batch() = std::move(details);
  return record;
}

}  // namespace citytwin
