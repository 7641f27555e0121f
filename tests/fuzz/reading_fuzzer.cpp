// libFuzzer target: arbitrary bytes as an IngestBatch, every reading validated against Sioux
// Falls the way the ingest service does (engine/frontdoor/ingest_service.cpp), at a fixed "now".
// Beyond "never crash" (ASan, UBSan, no exception escapes), it checks what the rest of the ingest
// path relies on: each verdict names the right index, a rejection has a known code and a reason,
// and an accepted reading resolves to an existing segment, carries the reading's own time inside
// the accepted window and values inside their documented ranges, and survives the store's
// serialize -> parse round trip (restart replay decodes exactly these bytes).

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <variant>

#include "citytwin/v1/twin.pb.h"
#include "engine/frontdoor/reading_validation.hpp"
#include "engine/import/city_loader.hpp"
#include "tests/fuzz/fixed_now.hpp"
#include <google/protobuf/stubs/logging.h>

namespace {

using namespace citytwin;

using fuzz::fixed_now_ms;

struct fixture {
  loaded_city city;
  twin_catalog catalog;
  ingest_limits limits;
  explicit fixture(loaded_city c) : city(std::move(c)), catalog(city.graph) {}
};

fixture* the_fixture = nullptr;

[[noreturn]] void fail(const char* what, int index) {
  std::fprintf(stderr, "reading_fuzzer: invariant violated at reading %d: %s\n", index, what);
  std::abort();
}
#define CHECK(condition) \
  do {                   \
    if (!(condition)) fail(#condition, index); \
  } while (false)

void check_accepted(const v1::Reading& reading, const accepted_reading& ok, int index) {
  const fixture& f = *the_fixture;
  const ingest_limits& limits = f.limits;
  CHECK(ok.segment < f.catalog.directory.size());
  CHECK(ok.twin_id == "segment/" + f.catalog.directory.id_of(ok.segment));
  // The stored id must resolve back to the same segment (restart replay resolves it).
  const auto again = f.catalog.directory.resolve(f.catalog.directory.id_of(ok.segment));
  CHECK(std::holds_alternative<segment_id>(again) && std::get<segment_id>(again) == ok.segment);
  CHECK(ok.time_ms > 0);
  CHECK(ok.time_ms >= fixed_now_ms - limits.lateness_window_ms);
  switch (reading.reading_case()) {
    case v1::Reading::kTrafficDetector: {
      const auto& r = reading.traffic_detector();
      const auto named = f.catalog.directory.resolve(r.segment_id());
      CHECK(std::holds_alternative<segment_id>(named) && std::get<segment_id>(named) == ok.segment);
      CHECK(ok.time_ms == r.observe_time_ms());
      CHECK(ok.time_ms <= fixed_now_ms + limits.max_future_ms);
      CHECK(std::isfinite(r.mean_speed_kmh()) && r.mean_speed_kmh() >= 0 && r.mean_speed_kmh() <= limits.max_speed_kmh);
      CHECK(std::isfinite(r.occupancy()) && r.occupancy() >= 0 && r.occupancy() <= 1);
      CHECK(r.interval_ms() >= 0);
      if (r.interval_ms() > 0) {
        const double flow = r.vehicle_count() * 3'600'000.0 / static_cast<double>(r.interval_ms());
        CHECK(std::isfinite(flow));
      }
      break;
    }
    case v1::Reading::kSegmentEvent: {
      const auto& r = reading.segment_event();
      const auto named = f.catalog.directory.resolve(r.segment_id());
      CHECK(std::holds_alternative<segment_id>(named) && std::get<segment_id>(named) == ok.segment);
      CHECK(ok.time_ms == r.event_time_ms());
      CHECK(r.kind() == v1::SegmentEvent::KIND_CLOSED || r.kind() == v1::SegmentEvent::KIND_REOPENED ||
            r.kind() == v1::SegmentEvent::KIND_CAPACITY_CHANGED);
      if (r.kind() == v1::SegmentEvent::KIND_CAPACITY_CHANGED)
        CHECK(std::isfinite(r.capacity_factor()) && r.capacity_factor() > 0);
      break;
    }
    default: CHECK(!"only road readings are accepted by a city without a power grid");
  }
  // What the store keeps is reading.SerializeAsString(); replay parses it back.
  const std::string payload = reading.SerializeAsString();
  v1::Reading decoded;
  CHECK(decoded.ParseFromString(payload));
  CHECK(decoded.SerializeAsString() == payload);
  CHECK(decoded.reading_case() == reading.reading_case());
}

void check_rejected(const v1::Reading& reading, const rejection& bad, int index) {
  CHECK(bad.index == static_cast<std::uint32_t>(index));
  CHECK(bad.code == v1::REJECTION_CODE_INVALID_ARGUMENT || bad.code == v1::REJECTION_CODE_NOT_FOUND ||
        bad.code == v1::REJECTION_CODE_OUT_OF_RANGE || bad.code == v1::REJECTION_CODE_UNIMPLEMENTED);
  CHECK(!bad.reason.empty());
  if (reading.reading_case() == v1::Reading::READING_NOT_SET) CHECK(bad.code == v1::REJECTION_CODE_INVALID_ARGUMENT);
  if (reading.has_meter() || reading.has_scada()) CHECK(bad.code == v1::REJECTION_CODE_UNIMPLEMENTED);
  // The reason goes back to the sender in an IngestAck; the client must be able to parse it
  // (proto3 strings must be valid UTF-8, which the server does not check when it serializes).
  v1::IngestAck ack;
  auto* r = ack.add_rejected();
  r->set_index(bad.index);
  r->set_code(bad.code);
  r->set_reason(bad.reason);
  v1::IngestAck received;
  CHECK(received.ParseFromString(ack.SerializeAsString()));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Proto3 parsing logs every string with invalid UTF-8; the fuzzer makes many of those.
  google::protobuf::SetLogHandler(nullptr);
  const char* override_city = std::getenv("CITYTWIN_FUZZ_CITY");
  const std::string path = override_city ? override_city : CITYTWIN_SOURCE_DIR "/data/tntp/SiouxFalls";
  the_fixture = new fixture(load_city(path));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  v1::IngestBatch batch;
  if (!batch.ParseFromArray(data, static_cast<int>(size))) return -1;  // not a batch: not worth keeping
  const fixture& f = *the_fixture;
  for (int index = 0; index < batch.readings_size(); ++index) {
    const v1::Reading& reading = batch.readings(index);
    auto verdict = validate_reading(reading, static_cast<std::uint32_t>(index), f.catalog, fixed_now_ms, f.limits);
    if (const auto* ok = std::get_if<accepted_reading>(&verdict)) check_accepted(reading, *ok, index);
    else check_rejected(reading, std::get<rejection>(verdict), index);
  }
  return 0;
}
