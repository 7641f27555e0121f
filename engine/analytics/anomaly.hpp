#pragma once
// An anomaly: a reading that differs from what the twin expected at its time, as a twin event with
// its score, a reason people can read and the evidence it was judged on.

#include <cstdint>
#include <string>

namespace citytwin {

// Also the bounded `kind` label of citytwin_anomalies_total.
enum class anomaly_kind : std::uint8_t {
  speed_below_model,   // a detector's speed far below the model's on the segment (likely incident)
  speed_off_baseline,  // a detector's speed far from its own history at this hour
  flow_off_baseline,   // a detector's count (as veh/h) far from its own history at this hour
  load_off_baseline,   // a meter's kW far from the building's own profile at this hour
  voltage_out_of_band, // a SCADA voltage outside the band
  count
};
const char* label_of(anomaly_kind kind);

struct anomaly {
  std::uint64_t sequence = 0;  // 1, 2, ... in the order raised; the log's paging key
  std::string twin_id;         // "segment/3-11", "building/17", "node/1203"
  anomaly_kind kind = anomaly_kind::speed_below_model;
  std::int64_t time_ms = 0;    // the reading's observe time
  double score = 0;            // how anomalous: |z| for baselines, modelled / observed, band excess / band half-width
  std::string reason;
  std::string source;          // the ingest batch's source that sent the reading
  double observed = 0;
  double expected = 0;         // the model's value or the baseline's median
  double spread = 0;           // the baseline's robust spread; 0 where the test has none
};

}  // namespace citytwin
