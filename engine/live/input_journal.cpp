#include "engine/live/input_journal.hpp"

#include <stdexcept>
#include <string>

#include "engine/clock/sim_time.hpp"

namespace citytwin {

void input_journal::resume(sim_time time, std::map<sim_time, window_inputs> windows) {
  keeping_ = true;
  kept_from_ = time;
  kept_ = std::move(windows);
  kept_.erase(kept_.begin(), kept_.lower_bound(time));
  inputs_kept_ = 0;
  for (const auto& [start, inputs] : kept_) inputs_kept_ += inputs.size();
  last_start_ = kept_.empty() ? std::nullopt : std::optional<sim_time>(kept_.rbegin()->first);
}

void input_journal::keep_from(sim_time time) {
  keeping_ = true;
  kept_from_ = time;
  const auto first_kept = kept_.lower_bound(time);
  for (auto it = kept_.begin(); it != first_kept; ++it) inputs_kept_ -= it->second.size();
  kept_.erase(kept_.begin(), first_kept);
  if (log_ != nullptr) log_->rewrite(kept_);
}

window_inputs input_journal::take(sim_time start) const {
  if (!keeping_ || start < kept_from_)
    throw std::logic_error("the live twin keeps no inputs of the window at t=" + format_clock(start) +
                           " (only since the last complete checkpoint): it cannot run again");
  const auto found = kept_.find(start);
  return found == kept_.end() ? window_inputs{} : found->second;
}

void input_journal::record(sim_time start, const window_inputs& inputs) {
  last_start_ = start;
  if (!keeping_ || inputs.empty()) return;
  if (log_ != nullptr) log_->append(start, inputs);  // durable before the window runs
  kept_.emplace(start, inputs);  // a window is recorded once: later ones rerun
  inputs_kept_ += inputs.size();
}

std::size_t input_journal::windows_with_inputs_from(sim_time start) const {
  return static_cast<std::size_t>(std::distance(kept_.lower_bound(start), kept_.end()));
}

}  // namespace citytwin
