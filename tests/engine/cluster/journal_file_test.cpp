// Node 0's live journal on disk and its live checkpoint: what was appended comes back whole, a
// record torn by a crash while appending is dropped, damage before the end is refused by name, and
// a checkpoint's live resume point decodes equal to what was saved.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/cluster/checkpoint_store.hpp"
#include "engine/cluster/journal_file.hpp"
#include "tests/support/temp_dir.hpp"

namespace citytwin::testing {

namespace {

window_inputs closure_and_reading(segment_id segment, sim_time at, std::uint64_t log_position) {
  window_inputs inputs;
  inputs.controls.push_back({{at, segment, control_kind::capacity_factor, 0.35}, log_position});
  inputs.observations.push_back({segment + 1, detector_observation{at - 400, 7.25, 812.5, 0.6}, log_position + 1});
  return inputs;
}

std::uintmax_t size_of(const std::filesystem::path& path) { return std::filesystem::file_size(path); }

}  // namespace

TEST(journal_file, gives_back_the_windows_appended_from_a_time_on_and_a_rewrite_replaces_them) {
  const auto dir = test_temp_dir();
  journal_file file(dir / "live-journal.log");
  EXPECT_TRUE(file.load(0).empty()) << "no file yet: nothing recorded";
  file.append(1000, closure_and_reading(3, 1000, 10));
  file.append(2000, closure_and_reading(4, 2000, 20));
  file.append(3000, closure_and_reading(5, 3000, 30));
  const auto all = file.load(0);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all.at(2000), closure_and_reading(4, 2000, 20));
  const auto later = file.load(2000);
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(later.begin()->first, 2000);
  file.rewrite({{3000, closure_and_reading(5, 3000, 30)}});
  const auto kept = file.load(0);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept.at(3000), closure_and_reading(5, 3000, 30));
}

TEST(journal_file, a_record_torn_by_a_crash_while_appending_is_dropped_and_damage_before_the_end_is_refused) {
  const auto dir = test_temp_dir();
  const auto path = dir / "live-journal.log";
  journal_file file(path);
  file.append(1000, closure_and_reading(3, 1000, 10));
  const auto whole = size_of(path);
  file.append(2000, closure_and_reading(4, 2000, 20));
  std::filesystem::resize_file(path, size_of(path) - 5);  // the second record lost its tail
  const auto loaded = file.load(0);
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded.at(1000), closure_and_reading(3, 1000, 10));
  std::filesystem::resize_file(path, whole + 7);  // only part of the second record's header
  EXPECT_EQ(file.load(0).size(), 1u);

  file.rewrite(loaded);
  file.append(2000, closure_and_reading(4, 2000, 20));
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);  // inside the first record's body
    f.put('\x7f');
  }
  try {
    (void)file.load(0);
    FAIL() << "a damaged record before the last one was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("corrupt"), std::string::npos) << e.what();
  }
}

TEST(checkpoint_store, keeps_the_live_resume_point_of_a_checkpoint_and_clear_removes_it_with_the_journal) {
  const auto dir = test_temp_dir();
  checkpoint_store store(dir, 0, 0xfeed);
  live_resume_point point;
  point.epoch_at_start_ms = 1'790'000'000'123;
  point.time = 180'000;
  point.pending = closure_and_reading(9, 200'000, 41);
  taken_inputs taken;
  taken.status = taken_input{170'000, 12};
  taken.observation = taken_input{179'500, 40};
  point.taken = {{9, taken}, {12, taken_inputs{{}, taken_input{1, 2}, {}}}};
  EXPECT_FALSE(store.load_live(3).has_value());
  store.save_live(3, point);
  const auto loaded = store.load_live(3);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(*loaded, point);
  EXPECT_THROW((void)checkpoint_store(dir, 0, 0xbeef).load_live(3), std::runtime_error) << "another run's file";
  journal_file(store.journal_path()).append(181'000, closure_and_reading(9, 181'000, 42));
  store.drop_before(4);
  EXPECT_FALSE(std::filesystem::exists(store.live_path(3)));
  store.save_live(4, point);
  store.clear();
  EXPECT_FALSE(std::filesystem::exists(store.live_path(4)));
  EXPECT_FALSE(std::filesystem::exists(store.journal_path()));
}

}  // namespace citytwin::testing
