#pragma once
// A twin's recent values of one quantity, kept per hour of the day, and how far a new value lies
// from them: the robust z-score (x - median) / (1.4826 * MAD), with the spread floored so that a
// quiet history does not turn every small change into an anomaly. Each bucket's values are also
// kept sorted, so median and MAD are exact for every reading at O(capacity) cost.

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
  // Compares `value` with the values seen in the hour of `time_ms` and returns the verdict when its
  // |z| is z_threshold or more (never while fewer than baseline_min_samples), then adds it to them.
  std::optional<baseline_verdict> outlier_and_add(std::int64_t time_ms, double value, const anomaly_options& options);

 private:
  struct bucket {
    std::vector<double> values;  // in arrival order; a ring once full
    std::vector<double> sorted;  // the same values, ascending
    std::size_t next = 0;        // the ring's oldest value once full
  };
  std::array<bucket, 24> hours_;
};

// Median of ascending values; 0 for none.
double median_of_sorted(const std::vector<double>& sorted);
// Median absolute deviation of ascending values from `median` (their median), in O(n); 0 for none.
double mad_of_sorted(const std::vector<double>& sorted, double median);

}  // namespace citytwin
