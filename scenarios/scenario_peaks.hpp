#pragma once
// A scenario run over several peaks (days): each branch's peaks merged into one outcome, so the week's
// KPIs come from the same definitions as one peak's (trip times pooled, so the mean and the 95th
// percentile are over every trip of every peak).

#include <vector>

#include "scenarios/scenario.hpp"

namespace citytwin {

// Every peak of one branch, forked at the same time: trips, counts, delays, energy and emergency responses
// pooled; segment flows summed, a segment's worst queue the worst of any peak, its queue at the end the
// largest; the simulated time is the sum of the peaks' (so flow-to-capacity is the mean over peaks);
// coverage is the mean over peaks. Throws std::invalid_argument for no peaks or peaks of different cities.
branch_outcome merge_peaks(const std::vector<const branch_outcome*>& peaks);

}  // namespace citytwin
