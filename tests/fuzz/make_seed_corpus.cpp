// Writes the fuzz target's seed corpus: serialized IngestBatch messages, valid and invalid, one per
// file, named after what they hold. tests/fuzz/corpus holds its output; regenerate with
//   build-fuzz/make_seed_corpus tests/fuzz/corpus
// Segment ids are Sioux Falls's ("FROM-TO" node pairs, or the segment index as a number).

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>

#include "citytwin/v1/twin.pb.h"
#include "tests/fuzz/fixed_now.hpp"

namespace {

using namespace citytwin;
using fuzz::fixed_now_ms;

v1::Reading detector(const std::string& segment, std::int64_t time_ms, double speed_kmh, std::uint32_t count = 12,
                     std::int64_t interval_ms = 60'000, double occupancy = 0.2) {
  v1::Reading r;
  auto* d = r.mutable_traffic_detector();
  d->set_segment_id(segment);
  d->set_detector_id("loop-" + segment);
  d->set_observe_time_ms(time_ms);
  d->set_interval_ms(interval_ms);
  d->set_vehicle_count(count);
  d->set_mean_speed_kmh(speed_kmh);
  d->set_occupancy(occupancy);
  return r;
}

v1::Reading event(const std::string& segment, std::int64_t time_ms, v1::SegmentEvent::Kind kind, double factor = 0) {
  v1::Reading r;
  auto* e = r.mutable_segment_event();
  e->set_segment_id(segment);
  e->set_event_time_ms(time_ms);
  e->set_kind(kind);
  e->set_capacity_factor(factor);
  e->set_cause("roadworks");
  return r;
}

v1::IngestBatch batch(std::uint64_t sequence, std::initializer_list<v1::Reading> readings,
                      const std::string& source = "detectors-fuzz") {
  v1::IngestBatch b;
  b.set_source(source);
  b.set_sequence(sequence);
  for (const auto& r : readings) *b.add_readings() = r;
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus directory>\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  const std::int64_t now = fixed_now_ms;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  int written = 0;
  auto write = [&](const std::string& name, const v1::IngestBatch& b) {
    std::ofstream(dir / name, std::ios::binary) << b.SerializeAsString();
    ++written;
  };

  // Valid.
  write("valid_detectors", batch(1, {detector("1-2", now - 1000, 55.5), detector("3-11", now, 30, 40),
                                     detector("17", now - 60'000, 80)}));
  write("valid_events", batch(2, {event("3-11", now - 5000, v1::SegmentEvent::KIND_CLOSED),
                                  event("3-11", now, v1::SegmentEvent::KIND_REOPENED),
                                  event("10-15", now + 3'600'000, v1::SegmentEvent::KIND_CAPACITY_CHANGED, 0.5)}));
  write("valid_mixed", batch(3, {detector("24-21", now - 1, 0, 0, 0, 0), event("0", now, v1::SegmentEvent::KIND_CLOSED),
                                 detector("75", now - 899'000, 300, 100, 3'600'000, 1)}));
  write("heartbeat", batch(4, {}));
  write("no_source", batch(5, {detector("1-2", now, 50)}, ""));

  // Invalid readings, each of one kind.
  write("unknown_segments", batch(6, {detector("999-1000", now, 50), detector("76", now, 50), detector("", now, 50),
                                      event("1-2~2", now, v1::SegmentEvent::KIND_CLOSED),
                                      detector("18446744073709551616", now, 50), detector("-1", now, 50)}));
  write("bad_numbers", batch(7, {detector("1-2", now, nan), detector("1-2", now, inf), detector("1-2", now, -1),
                                 detector("1-2", now, 301), detector("1-2", now, 50, 10, 60'000, 1.5),
                                 detector("1-2", now, 50, 10, 60'000, nan), detector("1-2", now, 50, 10, -1),
                                 detector("1-2", now, 50, 4'000'000'000u, 1)}));
  write("bad_times", batch(8, {detector("1-2", 0, 50), detector("1-2", -5, 50), detector("1-2", now + 61'000, 50),
                               detector("1-2", now - 15 * 60'000 - 1, 50),
                               detector("1-2", std::numeric_limits<std::int64_t>::max(), 50),
                               detector("1-2", std::numeric_limits<std::int64_t>::min(), 50),
                               event("1-2", 0, v1::SegmentEvent::KIND_CLOSED),
                               event("1-2", std::numeric_limits<std::int64_t>::min(), v1::SegmentEvent::KIND_CLOSED),
                               event("1-2", now - 16 * 60'000, v1::SegmentEvent::KIND_REOPENED)}));
  write("bad_events", batch(9, {event("1-2", now, v1::SegmentEvent::KIND_UNSPECIFIED),
                                event("1-2", now, static_cast<v1::SegmentEvent::Kind>(77)),
                                event("1-2", now, v1::SegmentEvent::KIND_CAPACITY_CHANGED, 0),
                                event("1-2", now, v1::SegmentEvent::KIND_CAPACITY_CHANGED, -0.5),
                                event("1-2", now, v1::SegmentEvent::KIND_CAPACITY_CHANGED, nan),
                                event("1-2", now, v1::SegmentEvent::KIND_CAPACITY_CHANGED, 11)}));
  {
    v1::Reading empty, meter, scada;
    meter.mutable_meter()->set_building_id("b-1");
    meter.mutable_meter()->set_observe_time_ms(now);
    meter.mutable_meter()->set_active_power_kw(12.5);
    scada.mutable_scada()->set_node_id("sub-1");
    scada.mutable_scada()->set_observe_time_ms(now);
    scada.mutable_scada()->set_breaker_state(v1::BREAKER_STATE_OPEN);
    scada.mutable_scada()->mutable_voltage_pu()->set_value(1.02);
    write("other_kinds", batch(10, {empty, meter, scada, detector("2-6", now, 40)}));
  }
  {
    v1::IngestBatch many;
    many.set_source("detectors-fuzz");
    many.set_sequence(11);
    for (int i = 0; i < 200; ++i) *many.add_readings() = detector(std::to_string(i % 80), now - i * 1000, i % 310);
    write("many_readings", many);
  }
  std::printf("wrote %d seed inputs to %s\n", written, dir.c_str());
  return 0;
}
