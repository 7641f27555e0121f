#include "engine/live/input_journal.hpp"

#include <stdexcept>
#include <string>

#include "engine/clock/sim_time.hpp"

namespace citytwin {

void input_journal::keep_from(sim_time time) {
  keeping_ = true;
  kept_from_ = time;
  const auto first_kept = kept_.lower_bound(time);
  for (auto it = kept_.begin(); it != first_kept; ++it) inputs_kept_ -= it->second.controls.size() + it->second.observations.size();
  kept_.erase(kept_.begin(), first_kept);
}

window_inputs input_journal::take(sim_time start) const {
  if (!keeping_ || start < kept_from_)
    throw std::logic_error("the live twin keeps no inputs of the window at t=" + format_clock(start) +
                           " (only since the last complete checkpoint): it cannot run again");
  const auto found = kept_.find(start);
  return found == kept_.end() ? window_inputs{} : found->second;
}

void input_journal::record(sim_time start, const std::vector<segment_control>& controls,
                           const std::vector<std::pair<segment_id, detector_observation>>& observations) {
  last_start_ = start;
  if (!keeping_ || (controls.empty() && observations.empty())) return;
  kept_.emplace(start, window_inputs{controls, observations});  // a window is recorded once: later ones rerun
  inputs_kept_ += controls.size() + observations.size();
}

std::size_t input_journal::windows_with_inputs_from(sim_time start) const {
  return static_cast<std::size_t>(std::distance(kept_.lower_bound(start), kept_.end()));
}

}  // namespace citytwin
