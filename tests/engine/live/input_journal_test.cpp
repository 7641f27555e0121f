// The journal keeps what each window took since the last complete checkpoint, gives it back to a
// window that runs again after a rollback, and refuses to go back further than it keeps.

#include <gtest/gtest.h>

#include <stdexcept>

#include "engine/live/input_journal.hpp"

namespace citytwin::testing {

namespace {

constexpr sim_time window = 1000;

std::vector<segment_control> closure_of(segment_id segment, sim_time at) { return {{at, segment, control_kind::close, 0}}; }

std::vector<std::pair<segment_id, detector_observation>> reading_of(segment_id segment, sim_time at, double speed) {
  return {{segment, detector_observation{at, speed, 600, 1}}};
}

}  // namespace

TEST(input_journal, keeps_nothing_before_the_first_checkpoint_and_refuses_to_replay_it) {
  input_journal journal;
  EXPECT_FALSE(journal.ran_before(0));
  journal.record(0, closure_of(3, 0), {});
  journal.record(window, {}, reading_of(4, 500, 9));
  EXPECT_EQ(journal.windows_kept(), 0u);
  EXPECT_EQ(journal.inputs_kept(), 0u);
  EXPECT_TRUE(journal.ran_before(0));
  EXPECT_TRUE(journal.ran_before(window));
  EXPECT_FALSE(journal.ran_before(2 * window));
  EXPECT_THROW(journal.take(window), std::logic_error);
}

TEST(input_journal, a_window_run_again_takes_exactly_what_it_took_the_first_time) {
  input_journal journal;
  journal.record(0, closure_of(1, 0), {});
  journal.keep_from(window);  // checkpoint at the end of window 0
  journal.record(window, closure_of(3, window), reading_of(4, 700, 9.5));
  journal.record(2 * window, {}, {});
  journal.record(3 * window, {}, reading_of(5, 2900, 11));
  EXPECT_EQ(journal.windows_kept(), 2u);
  EXPECT_EQ(journal.inputs_kept(), 3u);
  EXPECT_EQ(journal.windows_with_inputs_from(window), 2u);
  EXPECT_EQ(journal.windows_with_inputs_from(2 * window), 1u);

  ASSERT_TRUE(journal.ran_before(window));
  const auto first = journal.take(window);
  EXPECT_EQ(first.controls, closure_of(3, window));
  EXPECT_EQ(first.observations, reading_of(4, 700, 9.5));
  EXPECT_TRUE(journal.take(2 * window).controls.empty());
  EXPECT_TRUE(journal.take(2 * window).observations.empty());
  EXPECT_EQ(journal.take(3 * window).observations, reading_of(5, 2900, 11));
  EXPECT_THROW(journal.take(0), std::logic_error);  // before the checkpoint: not kept
  EXPECT_FALSE(journal.ran_before(4 * window));
}

TEST(input_journal, a_later_checkpoint_forgets_the_windows_before_it) {
  input_journal journal;
  journal.keep_from(0);
  journal.record(0, closure_of(1, 0), {});
  journal.record(window, closure_of(2, window), {});
  journal.record(2 * window, closure_of(3, 2 * window), {});
  journal.keep_from(2 * window);
  EXPECT_EQ(journal.windows_kept(), 1u);
  EXPECT_EQ(journal.inputs_kept(), 1u);
  EXPECT_THROW(journal.take(window), std::logic_error);
  EXPECT_EQ(journal.take(2 * window).controls, closure_of(3, 2 * window));
}

}  // namespace citytwin::testing
