#include "engine/analytics/robust_baseline.hpp"

#include <algorithm>
#include <cmath>

namespace citytwin {

double median_of(std::vector<double>& values) {
  if (values.empty()) return 0;
  const auto mid = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), mid, values.end());
  if (values.size() % 2 == 1) return *mid;
  return (*mid + *std::max_element(values.begin(), mid)) / 2;
}

std::optional<baseline_verdict> robust_baseline::assess_and_add(std::int64_t time_ms, double value,
                                                                const anomaly_options& options) {
  constexpr std::int64_t ms_per_hour = 3'600'000;
  bucket& b = hours_[static_cast<std::size_t>(((time_ms / ms_per_hour) % 24 + 24) % 24)];
  std::optional<baseline_verdict> verdict;
  if (b.values.size() >= options.baseline_min_samples) {
    // Sorting the history for every reading would cost more than the rest of ingest; a summary a few values old will do.
    if (!b.has_summary || b.added_since_refresh >= options.baseline_refresh) {
      thread_local std::vector<double> scratch;
      scratch.assign(b.values.begin(), b.values.end());
      b.median = median_of(scratch);
      for (double& v : scratch) v = std::abs(v - b.median);
      // 1.4826 * MAD estimates the standard deviation of normally distributed values.
      b.spread = std::max({1.4826 * median_of(scratch), options.spread_floor_fraction * std::abs(b.median),
                           options.spread_floor_absolute});
      b.has_summary = true;
      b.added_since_refresh = 0;
    }
    verdict = baseline_verdict{b.median, b.spread, (value - b.median) / b.spread};
  }
  ++b.added_since_refresh;
  if (b.values.size() < options.baseline_capacity) {
    b.values.push_back(value);
  } else {
    b.values[b.next] = value;
    b.next = (b.next + 1) % options.baseline_capacity;
  }
  return verdict;
}

}  // namespace citytwin
