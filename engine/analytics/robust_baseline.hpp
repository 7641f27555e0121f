#pragma once
// A twin's recent values of one quantity, kept per hour of the day, and how far a new value lies
// from them: the robust z-score (x - median) / (1.4826 * MAD), with the spread floored so that a
// quiet history does not turn every small change into an anomaly.

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "engine/analytics/analytics_options.hpp"

namespace citytwin {

struct baseline_verdict {
  double median = 0;
  double spread = 0;  // 1.4826 * MAD, floored (anomaly_options)
  double z = 0;
};

class robust_baseline {
 public:
  // Compares `value` with the values seen in the hour of `time_ms` (none while fewer than
  // baseline_min_samples), then adds it to them.
  std::optional<baseline_verdict> assess_and_add(std::int64_t time_ms, double value, const anomaly_options& options);

 private:
  struct bucket {
    std::vector<double> values;  // a ring once full
    std::size_t next = 0;
    std::size_t added_since_refresh = 0;
    bool has_summary = false;
    double median = 0, spread = 0;  // of `values` when last refreshed
  };
  std::array<bucket, 24> hours_;
};

// Median of the values (reordered in place); 0 for none.
double median_of(std::vector<double>& values);

}  // namespace citytwin
