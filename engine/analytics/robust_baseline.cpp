#include "engine/analytics/robust_baseline.hpp"

#include <algorithm>
#include <cmath>

namespace citytwin {

double median_of_sorted(const std::vector<double>& sorted) {
  const std::size_t n = sorted.size();
  if (n == 0) return 0;
  return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

double mad_of_sorted(const std::vector<double>& sorted, double median) {
  const std::size_t n = sorted.size();
  if (n == 0) return 0;
  // Deviations grow walking outwards from the median on either side: merge the two walks up to the middle one.
  auto right = static_cast<std::size_t>(std::lower_bound(sorted.begin(), sorted.end(), median) - sorted.begin());
  std::size_t left = right;  // sorted[left - 1] is the next value below the median
  const std::size_t wanted = n / 2;  // 0-based rank of the (upper) middle deviation
  double previous = 0, current = 0;
  for (std::size_t rank = 0; rank <= wanted; ++rank) {
    previous = current;
    const bool take_left = right == n || (left > 0 && median - sorted[left - 1] <= sorted[right] - median);
    current = take_left ? median - sorted[--left] : sorted[right++] - median;
  }
  return n % 2 == 1 ? current : (previous + current) / 2;
}

std::optional<baseline_verdict> robust_baseline::outlier_and_add(std::int64_t time_ms, double value,
                                                                 const anomaly_options& options) {
  constexpr std::int64_t ms_per_hour = 3'600'000;
  bucket& b = hours_[static_cast<std::size_t>(((time_ms / ms_per_hour) % 24 + 24) % 24)];
  std::optional<baseline_verdict> verdict;
  if (b.values.size() >= options.baseline_min_samples) {
    const double median = median_of_sorted(b.sorted);
    const double floor = std::max(options.spread_floor_fraction * std::abs(median), options.spread_floor_absolute);
    // The spread is never below the floor, so a value this close to the median needs no MAD to be cleared.
    if (std::abs(value - median) >= options.z_threshold * floor) {
      // 1.4826 * MAD estimates the standard deviation of normally distributed values.
      const double spread = std::max(1.4826 * mad_of_sorted(b.sorted, median), floor);
      const double z = (value - median) / spread;
      if (std::abs(z) >= options.z_threshold) verdict = baseline_verdict{median, spread, z};
    }
  }
  if (options.baseline_capacity == 0) return verdict;
  if (b.values.size() < options.baseline_capacity) {
    b.values.push_back(value);
  } else {
    double& oldest = b.values[b.next];
    b.sorted.erase(std::lower_bound(b.sorted.begin(), b.sorted.end(), oldest));
    oldest = value;
    b.next = (b.next + 1) % options.baseline_capacity;
  }
  b.sorted.insert(std::upper_bound(b.sorted.begin(), b.sorted.end(), value), value);
  return verdict;
}

}  // namespace citytwin
