#pragma once
// What each window of a live twin took from its inbox since the last complete checkpoint. After a
// cluster rolls back to that checkpoint, or a new node 0 process resumes from it, the windows run
// again with exactly these inputs, so the resumed twin equals an uninterrupted run that got the
// same inputs, whenever they arrived.

#include <cstddef>
#include <map>
#include <optional>

#include "engine/live/logged_inputs.hpp"

namespace citytwin {

class input_journal {
 public:
  // Every window kept from now on is also written to `log` (null: memory only).
  void attach_log(journal_log* log) { log_ = log; }
  // A new process resumes at the checkpoint at `time`: these windows (from `time` on) ran before.
  void resume(sim_time time, std::map<sim_time, window_inputs> windows);
  // From the first complete checkpoint on, windows starting at or after `time` are kept and older
  // ones forgotten: no rollback goes further back than the last complete checkpoint.
  void keep_from(sim_time time);
  // True when the window starting at `start` ran before (a rollback or a resume): take() gives its inputs.
  bool ran_before(sim_time start) const { return last_start_ && start <= *last_start_; }
  // The inputs the window starting at `start` took the first time it ran.
  // Throws std::logic_error if that window is older than the last complete checkpoint.
  window_inputs take(sim_time start) const;
  // A window runs for the first time with these inputs; kept ones are on the log when this returns.
  void record(sim_time start, const window_inputs& inputs);

  std::size_t windows_kept() const { return kept_.size(); }
  // Controls and observations kept, over all windows kept.
  std::size_t inputs_kept() const { return inputs_kept_; }
  // Windows with inputs from `start` on: what a rollback to `start` takes again.
  std::size_t windows_with_inputs_from(sim_time start) const;
  const std::map<sim_time, window_inputs>& kept() const { return kept_; }

 private:
  bool keeping_ = false;
  sim_time kept_from_ = 0;
  std::optional<sim_time> last_start_;
  std::map<sim_time, window_inputs> kept_;  // only windows that took something
  std::size_t inputs_kept_ = 0;
  journal_log* log_ = nullptr;
};

}  // namespace citytwin
