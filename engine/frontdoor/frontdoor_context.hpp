#pragma once
// What every service of the front door shares: the live twin and its inputs, the durable store, the catalog
// that turns twin state into API messages, who may call what (and the trail of who did), and the ingest limits.

#include "engine/frontdoor/access_control.hpp"
#include "engine/frontdoor/audit_trail.hpp"
#include "engine/frontdoor/ingest_assimilation.hpp"
#include "engine/frontdoor/reading_validation.hpp"
#include "engine/frontdoor/twin_conversion.hpp"
#include "engine/live/live_twin.hpp"
#include "engine/live/twin_inputs.hpp"
#include "engine/metrics/metric_handles.hpp"

#include <shared_mutex>

namespace citytwin {

class twin_store;
class rolling_forecast;
class feed_analytics;

struct frontdoor_context {
  frontdoor_context(live_twin& t, twin_store& s, twin_inputs& i, twin_catalog c, access_control a)
      : twin(t), store(s), inputs(i), catalog(std::move(c)), access(std::move(a)) {}

  live_twin& twin;
  twin_store& store;
  twin_inputs& inputs;
  // Ingest holds it shared from store append to applying; a snapshot holds it alone, so the
  // snapshot covers exactly the readings logged before it.
  std::shared_mutex snapshot_lock;
  twin_catalog catalog;
  access_control access;
  audit_trail audit{store, twin};  // who changed what; reads too with serve --audit-reads
  ingest_limits limits;
  ingest_metrics metrics;  // inert unless serve was given --metrics
  scenario_metrics scenario_runs;  // likewise
  std::size_t watch_max_views_behind = 8;  // a watcher further behind is dropped
  rolling_forecast* forecast = nullptr;    // null with serve --forecast off
  feed_analytics* analytics = nullptr;     // anomalies and sensor health; none: serve --analytics off
  // Last, so it stops (applying what is queued) before anything it uses goes.
  ingest_assimilation assimilation{twin, inputs};
};

}  // namespace citytwin
