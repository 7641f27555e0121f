// The journal keeps what each window took since the last complete checkpoint, gives it back to a
// window that runs again after a rollback or a resume, refuses to go back further than it keeps,
// and writes every window it keeps to its log before the window runs.

#include <gtest/gtest.h>

#include <stdexcept>

#include "engine/live/input_journal.hpp"

namespace citytwin::testing {

namespace {

constexpr sim_time window = 1000;

window_inputs closure_of(segment_id segment, sim_time at, std::uint64_t log_position = 1) {
  return {{{{at, segment, control_kind::close, 0}, log_position}}, {}};
}

window_inputs reading_of(segment_id segment, sim_time at, double speed, std::uint64_t log_position = 2) {
  return {{}, {{segment, detector_observation{at, speed, 600, 1}, log_position}}};
}

window_inputs both(window_inputs a, const window_inputs& b) {
  a.observations.insert(a.observations.end(), b.observations.begin(), b.observations.end());
  return a;
}

// Remembers what the journal wrote.
struct recording_log final : journal_log {
  std::vector<std::pair<sim_time, window_inputs>> appended;
  std::map<sim_time, window_inputs> rewritten;
  int rewrites = 0;
  void append(sim_time start, const window_inputs& inputs) override { appended.emplace_back(start, inputs); }
  void rewrite(const std::map<sim_time, window_inputs>& kept) override {
    rewritten = kept;
    ++rewrites;
  }
};

}  // namespace

TEST(input_journal, keeps_nothing_before_the_first_checkpoint_and_refuses_to_replay_it) {
  input_journal journal;
  EXPECT_FALSE(journal.ran_before(0));
  journal.record(0, closure_of(3, 0));
  journal.record(window, reading_of(4, 500, 9));
  EXPECT_EQ(journal.windows_kept(), 0u);
  EXPECT_EQ(journal.inputs_kept(), 0u);
  EXPECT_TRUE(journal.ran_before(0));
  EXPECT_TRUE(journal.ran_before(window));
  EXPECT_FALSE(journal.ran_before(2 * window));
  EXPECT_THROW((void)journal.take(window), std::logic_error);
}

TEST(input_journal, a_window_run_again_takes_exactly_what_it_took_the_first_time) {
  input_journal journal;
  journal.record(0, closure_of(1, 0));
  journal.keep_from(window);  // checkpoint at the end of window 0
  journal.record(window, both(closure_of(3, window), reading_of(4, 700, 9.5)));
  journal.record(2 * window, {});
  journal.record(3 * window, reading_of(5, 2900, 11));
  EXPECT_EQ(journal.windows_kept(), 2u);
  EXPECT_EQ(journal.inputs_kept(), 3u);
  EXPECT_EQ(journal.windows_with_inputs_from(window), 2u);
  EXPECT_EQ(journal.windows_with_inputs_from(2 * window), 1u);

  ASSERT_TRUE(journal.ran_before(window));
  EXPECT_EQ(journal.take(window), both(closure_of(3, window), reading_of(4, 700, 9.5)));
  EXPECT_TRUE(journal.take(2 * window).empty());
  EXPECT_EQ(journal.take(3 * window), reading_of(5, 2900, 11));
  EXPECT_THROW((void)journal.take(0), std::logic_error);  // before the checkpoint: not kept
  EXPECT_FALSE(journal.ran_before(4 * window));
}

TEST(input_journal, a_later_checkpoint_forgets_the_windows_before_it) {
  input_journal journal;
  journal.keep_from(0);
  journal.record(0, closure_of(1, 0));
  journal.record(window, closure_of(2, window));
  journal.record(2 * window, closure_of(3, 2 * window));
  journal.keep_from(2 * window);
  EXPECT_EQ(journal.windows_kept(), 1u);
  EXPECT_EQ(journal.inputs_kept(), 1u);
  EXPECT_THROW((void)journal.take(window), std::logic_error);
  EXPECT_EQ(journal.take(2 * window), closure_of(3, 2 * window));
}

TEST(input_journal, writes_each_kept_window_to_its_log_and_rewrites_the_log_at_a_checkpoint) {
  recording_log log;
  input_journal journal;
  journal.attach_log(&log);
  journal.record(0, closure_of(1, 0));  // before the first checkpoint: not kept, not written
  EXPECT_TRUE(log.appended.empty());
  journal.keep_from(window);
  EXPECT_EQ(log.rewrites, 1);
  EXPECT_TRUE(log.rewritten.empty());
  journal.record(window, closure_of(2, window));
  journal.record(2 * window, {});  // took nothing: nothing to write
  journal.record(3 * window, reading_of(4, 2500, 7));
  ASSERT_EQ(log.appended.size(), 2u);
  EXPECT_EQ(log.appended[0], (std::pair{window, closure_of(2, window)}));
  EXPECT_EQ(log.appended[1], (std::pair{3 * window, reading_of(4, 2500, 7)}));
  journal.keep_from(3 * window);
  EXPECT_EQ(log.rewritten, (std::map<sim_time, window_inputs>{{3 * window, reading_of(4, 2500, 7)}}));
}

TEST(input_journal, a_resumed_journal_replays_the_windows_it_was_given_and_then_records_again) {
  input_journal journal;
  journal.resume(2 * window, {{window, closure_of(1, window)}, {3 * window, reading_of(4, 2500, 7)}, {5 * window, closure_of(2, 5 * window)}});
  EXPECT_EQ(journal.windows_kept(), 2u);  // the window before the checkpoint is dropped
  EXPECT_TRUE(journal.ran_before(5 * window));
  EXPECT_FALSE(journal.ran_before(6 * window));
  EXPECT_EQ(journal.take(3 * window), reading_of(4, 2500, 7));
  EXPECT_TRUE(journal.take(4 * window).empty());
  EXPECT_THROW((void)journal.take(window), std::logic_error);
  journal.record(6 * window, closure_of(3, 6 * window));
  EXPECT_EQ(journal.windows_kept(), 3u);
}

}  // namespace citytwin::testing
