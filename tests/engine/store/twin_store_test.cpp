#include "engine/store/twin_store.hpp"

#include <gtest/gtest.h>

#include <set>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdio>
#include <latch>
#include <map>
#include <thread>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <tuple>

#include "engine/store/reading_record.hpp"
#include "engine/store/store_keys.hpp"
#include "tests/engine/store/crash_batch.hpp"
#include "tests/support/temp_dir.hpp"

extern char** environ;

namespace citytwin {

namespace {

store_options options_for_test() {
  store_options options;
  options.directory = testing::test_temp_dir() / "store";
  return options;
}

stored_reading reading(std::string twin_id, std::int64_t time_ms, std::string payload) {
  return {std::move(twin_id), time_ms, 7, std::move(payload)};
}

std::vector<std::string> payloads(const std::vector<recorded_reading>& readings) {
  std::vector<std::string> out;
  for (const auto& r : readings) out.push_back(r.reading.payload);
  return out;
}

std::vector<recorded_reading> replayed_after(const twin_store& store, std::uint64_t log_position) {
  std::vector<recorded_reading> out;
  store.replay_after(log_position, [&](const recorded_reading& r) { out.push_back(r); });
  return out;
}

std::vector<recorded_reading> all_history(const twin_store& store, std::string_view twin_id) {
  return store.history(twin_id, INT64_MIN, INT64_MAX, 0);
}

}  // namespace

TEST(twin_store, history_is_in_time_order_and_pages_without_gaps_or_repeats) {
  auto store = twin_store::open(options_for_test());
  store->append_batch("detectors", 1,
                      {reading("segment/42", 3000, "c"), reading("segment/4", 1000, "other twin"),
                       reading("segment/42", -500, "a"), reading("segment/42", 1000, "b1")});
  store->append_batch("detectors", 2, {reading("segment/42", 1000, "b2"), reading("segment/42", 9000, "d")});

  const auto history = all_history(*store, "segment/42");
  EXPECT_EQ(payloads(history), (std::vector<std::string>{"a", "b1", "b2", "c", "d"}));
  EXPECT_EQ(history[2].reading, reading("segment/42", 1000, "b2"));
  EXPECT_EQ(history[2].source, "detectors");
  EXPECT_EQ(history[2].sequence, 2u);
  EXPECT_EQ(payloads(all_history(*store, "segment/4")), std::vector<std::string>{"other twin"});
  EXPECT_EQ(payloads(store->history("segment/42", 1000, 3000, 0)), (std::vector<std::string>{"b1", "b2"}));
  EXPECT_TRUE(all_history(*store, "segment/420").empty());

  std::string token;
  std::vector<std::string> paged;
  std::vector<std::size_t> page_sizes;
  do {
    const auto page = store->history("segment/42", INT64_MIN, INT64_MAX, 2, &token);
    page_sizes.push_back(page.size());
    for (const auto& r : page) paged.push_back(r.reading.payload);
  } while (!token.empty() && page_sizes.size() < 10);
  EXPECT_EQ(page_sizes, (std::vector<std::size_t>{2, 2, 1}));
  EXPECT_EQ(paged, payloads(history));

  // A page that ends exactly at the last reading says so, instead of promising an empty page.
  token.clear();
  store->history("segment/42", INT64_MIN, INT64_MAX, 5, &token);
  EXPECT_TRUE(token.empty());

  token = "not a token";
  EXPECT_THROW(store->history("segment/42", 0, 10, 2, &token), std::invalid_argument);
}

// Readings are keyed by time window first (store_keys.hpp): a twin's history crosses windows,
// skips the empty ones and the other twins' readings in each, and pages across window boundaries.
// What a restarted twin schedules: every reading of any twin timed at or after a moment, windows
// before it unread, readings earlier in that moment's own window left out.
TEST(twin_store, readings_from_visit_every_twin_at_or_after_a_time_and_nothing_before) {
  auto store = twin_store::open(options_for_test());
  constexpr std::int64_t w = store_keys::reading_window_ms;
  const std::int64_t from = 7 * w + 300;
  std::vector<stored_reading> batch;
  std::multiset<std::string> expected;
  for (std::int64_t t : {-w, std::int64_t{0}, 7 * w, from - 1, from, from + 1, 8 * w, 90 * w}) {
    for (const char* twin : {"segment/1", "segment/20", "node/3"}) {
      const std::string name = std::string(twin) + "@" + std::to_string(t);
      batch.push_back(reading(twin, t, name));
      if (t >= from) expected.insert(name);
    }
  }
  store->append_batch("detectors", 1, batch);
  std::multiset<std::string> seen;
  std::int64_t last_window = INT64_MIN;
  store->readings_from(from, [&](const recorded_reading& r) {
    seen.insert(r.reading.payload);
    const auto window = store_keys::reading_window(r.reading.time_ms);
    EXPECT_GE(window, last_window) << "by window of time";
    last_window = window;
  });
  EXPECT_EQ(seen, expected);
  std::size_t none = 0;
  store->readings_from(91 * w, [&](const recorded_reading&) { ++none; });
  EXPECT_EQ(none, 0u);
}

TEST(twin_store, history_crosses_time_windows_and_skips_other_twins_and_empty_windows) {
  auto store = twin_store::open(options_for_test());
  constexpr std::int64_t w = store_keys::reading_window_ms;
  std::vector<stored_reading> batch;
  std::vector<std::string> expected;
  std::int64_t times[] = {-3 * w - 1, -w, -1, 0, w - 1, w, 5 * w + 7, 1000 * w, 1000 * w + 1, 250'000 * w};
  for (std::size_t i = 0; i < std::size(times); ++i) {
    batch.push_back(reading("segment/4", times[i], "t" + std::to_string(i)));
    expected.push_back("t" + std::to_string(i));
    // Neighbours on both sides of the twin's id, in the same windows and in windows of their own.
    batch.push_back(reading("segment/3", times[i], "below"));
    batch.push_back(reading("segment/42", times[i] + 1, "above"));
    batch.push_back(reading("segment/5", times[i] + 2 * w, "above"));
  }
  std::reverse(batch.begin(), batch.end());  // arrival order must not matter
  store->append_batch("detectors", 1, batch);

  EXPECT_EQ(payloads(all_history(*store, "segment/4")), expected);
  EXPECT_EQ(payloads(store->history("segment/4", -w, w, 0)), (std::vector<std::string>{"t1", "t2", "t3", "t4"}));
  EXPECT_EQ(payloads(store->history("segment/4", w, 1000 * w + 1, 0)), (std::vector<std::string>{"t5", "t6", "t7"}));
  EXPECT_TRUE(store->history("segment/4", 6 * w, 1000 * w, 0).empty());
  EXPECT_TRUE(all_history(*store, "segment/2").empty());
  EXPECT_TRUE(all_history(*store, "segment/6").empty());

  for (std::size_t limit : {1, 2, 3, 10}) {
    std::string token;
    std::vector<std::string> paged;
    std::size_t pages = 0;
    do {
      for (const auto& r : store->history("segment/4", INT64_MIN, INT64_MAX, limit, &token))
        paged.push_back(r.reading.payload);
    } while (!token.empty() && ++pages < 20);
    EXPECT_EQ(paged, expected) << "pages of " << limit;
  }
}

TEST(twin_store, a_redelivered_batch_is_applied_once) {
  auto store = twin_store::open(options_for_test());
  const std::vector batch{reading("segment/1", 10, "x"), reading("segment/1", 20, "y")};
  const auto first = store->append_batch("scada-north", 7, batch);
  const auto again = store->append_batch("scada-north", 7, batch);
  EXPECT_FALSE(first.duplicate);
  EXPECT_EQ(first.log_position, 2u);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.log_position, first.log_position);
  EXPECT_EQ(all_history(*store, "segment/1").size(), 2u);

  // The same number from another source, or the next number, is a different batch.
  EXPECT_FALSE(store->append_batch("scada-south", 7, batch).duplicate);
  EXPECT_FALSE(store->append_batch("scada-north", 8, batch).duplicate);
  EXPECT_EQ(all_history(*store, "segment/1").size(), 6u);

  const auto stats = store->stats();
  EXPECT_EQ(stats.batches_written, 3u);
  EXPECT_EQ(stats.readings_written, 6u);
  EXPECT_EQ(stats.duplicates, 1u);
  EXPECT_GT(stats.bytes_written, 0u);
  EXPECT_GE(stats.wal_syncs, 1u);
  EXPECT_FALSE(stats.write_stopped);
}

TEST(twin_store, concurrent_redeliveries_are_applied_exactly_once_and_share_syncs) {
  auto options = options_for_test();
  constexpr int threads = 8, sources = 2, sequences = 15, readings_per_batch = 3;
  std::atomic<int> applied[sources][sequences + 1] = {};
  {
    auto store = twin_store::open(options);
    std::latch start(threads);
    std::vector<std::jthread> deliverers;
    for (int t = 0; t < threads; ++t)
      deliverers.emplace_back([&, t] {
        start.arrive_and_wait();
        for (int i = 0; i < sources * sequences; ++i) {
          // Threads t and t + 4 race for the same batch at the same moment; the four pairs deliver
          // different batches at once, so that their writes can share a sync.
          const int k = (i + t % 4 * 7) % (sources * sequences);
          const int source = k % sources, sequence = k / sources + 1;
          std::vector<stored_reading> batch;
          for (int r = 0; r < readings_per_batch; ++r)
            batch.push_back(
                reading("segment/" + std::to_string(source), sequence * 100 + r, std::to_string(k)));
          if (!store->append_batch("source-" + std::to_string(source), sequence, batch).duplicate)
            ++applied[source][sequence];
        }
      });
    deliverers.clear();

    for (int s = 0; s < sources; ++s)
      for (int q = 1; q <= sequences; ++q)
        EXPECT_EQ(applied[s][q].load(), 1) << "source " << s << " sequence " << q;
    constexpr std::uint64_t readings = sources * sequences * readings_per_batch;
    EXPECT_EQ(replayed_after(*store, 0).size(), readings);
    EXPECT_EQ(store->last_log_position(), readings);
    const auto stats = store->stats();
    EXPECT_EQ(stats.batches_written, std::uint64_t{sources * sequences});
    EXPECT_EQ(stats.duplicates, std::uint64_t{(threads - 1) * sources * sequences});
    // Group commit: concurrent synced appends rode on one another's WAL sync.
    EXPECT_LT(stats.wal_syncs, stats.batches_written);
  }
  // Batches committed out of numbering order must not move the persisted counter back.
  auto reopened = twin_store::open(options);
  EXPECT_EQ(reopened->last_log_position(), std::uint64_t{sources * sequences * readings_per_batch});
}

TEST(twin_store, numbers_below_a_sources_window_count_as_applied) {
  auto options = options_for_test();
  options.dedup_window = 4;
  auto store = twin_store::open(options);
  const std::vector batch{reading("segment/1", 10, "x")};
  EXPECT_FALSE(store->append_batch("feed", 1, batch).duplicate);
  EXPECT_FALSE(store->append_batch("feed", 10, batch).duplicate);
  const auto below = store->append_batch("feed", 6, batch);  // never seen, but 10 - 6 >= window
  EXPECT_TRUE(below.duplicate);
  EXPECT_EQ(below.log_position, 0u);
  EXPECT_FALSE(store->append_batch("feed", 7, batch).duplicate);  // inside the window, not seen yet
  EXPECT_TRUE(store->append_batch("feed", 7, batch).duplicate);

  store->purge_older_than(INT64_MIN);  // drops the markers below the window (1), no readings
  EXPECT_TRUE(store->append_batch("feed", 1, batch).duplicate);
  EXPECT_TRUE(store->append_batch("feed", 10, batch).duplicate);
  EXPECT_EQ(all_history(*store, "segment/1").size(), 3u);
}

TEST(twin_store, reopening_keeps_readings_positions_markers_snapshots_and_metadata) {
  const auto options = options_for_test();
  std::vector<recorded_reading> before;
  {
    auto store = twin_store::open(options);
    EXPECT_EQ(store->get_metadata("shard"), std::nullopt);
    store->append_batch("feed", 1, {reading("segment/9", 5, "a"), reading("segment/9", 5, "b")});
    store->append_batch("feed", 2, {reading("segment/9", 1, "c")});
    store->put_snapshot(4, "state at 2", 2);
    store->put_metadata("shard", "3 of 8");
    before = all_history(*store, "segment/9");
  }
  auto store = twin_store::open(options);
  EXPECT_EQ(all_history(*store, "segment/9"), before);
  EXPECT_EQ(store->last_log_position(), 3u);
  EXPECT_EQ(store->get_metadata("shard"), "3 of 8");
  ASSERT_TRUE(store->latest_snapshot());
  EXPECT_EQ(store->latest_snapshot()->bytes, "state at 2");
  EXPECT_TRUE(store->append_batch("feed", 1, {reading("segment/9", 5, "a")}).duplicate);
  const auto next = store->append_batch("feed", 3, {reading("segment/9", 5, "d")});
  EXPECT_FALSE(next.duplicate);
  EXPECT_EQ(next.log_position, 4u);  // the arrival counter continues, so "d" does not overwrite "a" or "b"
  EXPECT_EQ(payloads(all_history(*store, "segment/9")), (std::vector<std::string>{"c", "a", "b", "d"}));
}

TEST(twin_store, reopening_restores_each_sources_highest_sequence_and_window) {
  auto options = options_for_test();
  options.dedup_window = 4;
  const std::vector batch{reading("segment/1", 10, "x")};
  {
    auto store = twin_store::open(options);
    for (std::uint64_t sequence = 1; sequence <= 10; ++sequence) store->append_batch("north", sequence, batch);
    store->append_batch("south", 3, batch);
    store->append_batch("", 5, batch);  // the empty source is a source too
  }
  auto store = twin_store::open(options);
  EXPECT_TRUE(store->append_batch("north", 10, batch).duplicate);
  EXPECT_TRUE(store->append_batch("north", 8, batch).duplicate);  // marker inside the window
  const auto below = store->append_batch("north", 6, batch);      // below the window of 10
  EXPECT_TRUE(below.duplicate);
  EXPECT_EQ(below.log_position, 0u);
  EXPECT_TRUE(store->append_batch("south", 3, batch).duplicate);
  EXPECT_FALSE(store->append_batch("south", 2, batch).duplicate);  // inside the window, never sent
  EXPECT_TRUE(store->append_batch("", 5, batch).duplicate);
  EXPECT_FALSE(store->append_batch("north", 11, batch).duplicate);
}

TEST(twin_store, positions_are_not_reused_after_purging_everything_and_reopening) {
  const auto options = options_for_test();
  {
    auto store = twin_store::open(options);
    store->append_batch("feed", 1, {reading("segment/1", 10, "a"), reading("segment/2", 20, "b")});
    EXPECT_EQ(store->purge_older_than(INT64_MAX), 2u);
  }
  auto store = twin_store::open(options);
  EXPECT_EQ(store->last_log_position(), 2u);
  EXPECT_EQ(store->append_batch("feed", 2, {reading("segment/1", 30, "c")}).log_position, 3u);
}

namespace {

// Writes a store in format 1 (store_keys.hpp): per reading a 'p' entry in `log`, and its time index
// entry either as a 't' key in `log` too (before 2026-11-26) or in time_index.
void write_format_1_store(const store_options& options, bool time_index_in_log) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  std::vector<const char*> names{"default", "readings", "log", "snapshots", "metadata"};
  if (!time_index_in_log) names.push_back("time_index");
  for (const char* name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  std::filesystem::create_directories(options.directory);
  ASSERT_TRUE(rocksdb::DB::Open(db_options, options.directory.string(), families, &handles, &raw).ok());
  rocksdb::WriteBatch batch;
  for (const auto& [twin, time, position] :
       {std::tuple{"segment/1", 100, 1}, std::tuple{"segment/2", 5000, 2},
        std::tuple{"segment/1", 6000, 3}}) {
    const auto key = store_keys::legacy_reading_key(twin, time, position);
    batch.Put(handles[1], key, encode_reading_record(7, "feed", 1, "old"));
    batch.Put(handles[2], store_keys::append_order_key(position), key);
    const auto time_key = store_keys::time_order_key(time, position);
    if (time_index_in_log)
      batch.Put(handles[2], std::string(store_keys::legacy_time_order_prefix) + time_key, twin);
    else
      batch.Put(handles[5], time_key, twin);
  }
  batch.Put(handles[4], store_keys::dedup_key("feed", 1), store_keys::u64_bytes(3));
  ASSERT_TRUE(raw->Write(rocksdb::WriteOptions(), &batch).ok());
  for (auto* handle : handles) raw->DestroyColumnFamilyHandle(handle);
  delete raw;
}

void expect_format_1_store_converted(const store_options& options) {
  {
    auto store = twin_store::open(options);
    EXPECT_EQ(store->last_log_position(), 3u);
    EXPECT_TRUE(store->append_batch("feed", 1, {reading("segment/1", 1, "again")}).duplicate);
    EXPECT_EQ(store->append_batch("feed", 2, {reading("segment/1", 7000, "new")}).log_position, 4u);
    EXPECT_EQ(payloads(replayed_after(*store, 1)), (std::vector<std::string>{"old", "old", "new"}));
    EXPECT_EQ(store->purge_older_than(1000), 1u);
    EXPECT_EQ(payloads(all_history(*store, "segment/1")), (std::vector<std::string>{"old", "new"}));
  }
  std::vector<std::string> families;
  ASSERT_TRUE(
      rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), options.directory.string(), &families).ok());
  EXPECT_EQ(std::count(families.begin(), families.end(), "log"), 0);  // converted, then dropped
  auto store = twin_store::open(options);
  EXPECT_EQ(store->last_log_position(), 4u);
  EXPECT_EQ(replayed_after(*store, 0).size(), 3u);
  EXPECT_EQ(store->purge_older_than(6500), 2u);
  EXPECT_EQ(payloads(replayed_after(*store, 0)), std::vector<std::string>{"new"});
}

}  // namespace

TEST(twin_store, a_format_1_store_with_the_time_index_in_the_log_is_converted_on_open) {
  const auto options = options_for_test();
  write_format_1_store(options, true);
  expect_format_1_store_converted(options);
}

TEST(twin_store, a_format_1_store_with_a_time_index_family_is_converted_on_open) {
  const auto options = options_for_test();
  write_format_1_store(options, false);
  expect_format_1_store_converted(options);
}

namespace {

// Writes a store as format 4 left it: every batch's records in batch_log, and each reading of the
// batches up to `filed_through` in `readings` as an entry of its own (the later ones were not
// filed when it stopped).
void write_format_4_store(const store_options& options, std::uint64_t filed_through) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const char* name : {"default", "readings", "batch_log", "time_index", "snapshots", "metadata", "audit"})
    families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  std::filesystem::create_directories(options.directory);
  ASSERT_TRUE(rocksdb::DB::Open(db_options, options.directory.string(), families, &handles, &raw).ok());
  rocksdb::WriteBatch batch;
  const std::vector<std::vector<std::tuple<const char*, std::int64_t, const char*>>> batches{
      {{"segment/1", 100, "4a"}, {"segment/2", 200, "4b"}},
      {{"segment/1", 300, "4c"}},
      {{"segment/1", 50, "4d"}, {"segment/1", 400, "4e"}}};
  std::uint64_t position = 1;
  std::uint64_t sequence = 1;
  for (const auto& readings : batches) {
    const auto first = position;
    std::string value;
    store_keys::start_batch_log_value(value, static_cast<std::uint32_t>(readings.size()), store_keys::batch_log_form::with_records);
    std::int64_t earliest = INT64_MAX;
    for (const auto& [twin, time, payload] : readings) {
      const auto record = encode_reading_record(7, "feed", sequence, payload);
      store_keys::append_batch_log_reading(value, twin, time, record);
      if (position <= filed_through) batch.Put(handles[1], store_keys::reading_key(twin, time, position), record);
      earliest = std::min(earliest, time);
      ++position;
    }
    batch.Put(handles[2], store_keys::batch_log_key(first), value);
    batch.Put(handles[3], store_keys::time_order_key(earliest, first), "");
    batch.Put(handles[5], store_keys::dedup_key("feed", sequence), store_keys::u64_bytes(first));
    ++sequence;
  }
  batch.Put(handles[5], store_keys::format_version_key, store_keys::u64_bytes(4));
  batch.Put(handles[5], store_keys::indexed_through_key, store_keys::u64_bytes(filed_through));
  ASSERT_TRUE(raw->Write(rocksdb::WriteOptions(), &batch).ok());
  for (auto* handle : handles) raw->DestroyColumnFamilyHandle(handle);
  delete raw;
}

}  // namespace

TEST(twin_store, a_format_4_store_reads_its_single_reading_entries_beside_new_chunks_and_purges_both) {
  const auto options = options_for_test();
  write_format_4_store(options, 3);  // the third batch (positions 4 and 5) was not filed yet
  {
    auto store = twin_store::open(options);
    EXPECT_EQ(store->last_log_position(), 5u);
    EXPECT_TRUE(store->append_batch("feed", 3, {reading("segment/1", 1, "again")}).duplicate);
    store->append_batch("feed", 4, {reading("segment/1", 250, "5a"), reading("segment/1", 12'000, "5b")});
    EXPECT_EQ(payloads(all_history(*store, "segment/1")), (std::vector<std::string>{"4d", "4a", "5a", "4c", "4e", "5b"}));
    EXPECT_EQ(payloads(replayed_after(*store, 1)), (std::vector<std::string>{"4b", "4c", "4d", "4e", "5a", "5b"}));
    std::string token;
    auto page = store->history("segment/1", 0, INT64_MAX, 4, &token);
    EXPECT_EQ(payloads(page), (std::vector<std::string>{"4d", "4a", "5a", "4c"}));
    page = store->history("segment/1", 0, INT64_MAX, 4, &token);
    EXPECT_EQ(payloads(page), (std::vector<std::string>{"4e", "5b"}));
    EXPECT_TRUE(token.empty());

    EXPECT_EQ(store->purge_older_than(260), 4u);  // 4a, 4b, 4d, 5a: single entries and a chunk's reading
    EXPECT_EQ(payloads(all_history(*store, "segment/1")), (std::vector<std::string>{"4c", "4e", "5b"}));
    EXPECT_TRUE(all_history(*store, "segment/2").empty());
    EXPECT_EQ(payloads(replayed_after(*store, 0)), (std::vector<std::string>{"4c", "4e", "5b"}));
  }
  auto store = twin_store::open(options);
  EXPECT_EQ(payloads(all_history(*store, "segment/1")), (std::vector<std::string>{"4c", "4e", "5b"}));
  EXPECT_EQ(payloads(replayed_after(*store, 0)), (std::vector<std::string>{"4c", "4e", "5b"}));
  EXPECT_EQ(store->purge_older_than(11'000), 2u);
  EXPECT_EQ(payloads(all_history(*store, "segment/1")), std::vector<std::string>{"5b"});
  EXPECT_EQ(payloads(replayed_after(*store, 0)), std::vector<std::string>{"5b"});
}

TEST(twin_store, a_store_of_a_newer_format_is_refused_with_both_formats_named) {
  const auto options = options_for_test();
  {
    auto store = twin_store::open(options);
    store->append_batch("feed", 1, {reading("segment/1", 10, "a")});
  }
  {
    rocksdb::DB* raw = nullptr;
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    std::vector<std::string> names;
    ASSERT_TRUE(
        rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), options.directory.string(), &names).ok());
    for (const auto& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    ASSERT_TRUE(
        rocksdb::DB::Open(rocksdb::DBOptions(), options.directory.string(), families, &handles, &raw).ok());
    const auto metadata = std::find(names.begin(), names.end(), "metadata") - names.begin();
    ASSERT_TRUE(raw->Put(rocksdb::WriteOptions(), handles[metadata], store_keys::format_version_key,
                         store_keys::u64_bytes(store_keys::store_format_version + 1))
                    .ok());
    for (auto* handle : handles) raw->DestroyColumnFamilyHandle(handle);
    delete raw;
  }
  try {
    twin_store::open(options);
    FAIL() << "a store of a newer format opened";
  } catch (const store_error& e) {
    const auto newer = "store format " + std::to_string(store_keys::store_format_version + 1);
    EXPECT_NE(e.detail.find(newer), std::string::npos) << e.detail;
    const auto ours = "up to " + std::to_string(store_keys::store_format_version);
    EXPECT_NE(e.detail.find(ours), std::string::npos) << e.detail;
  }
}

TEST(twin_store, replay_from_inside_a_partly_purged_batch_skips_what_is_gone) {
  auto store = twin_store::open(options_for_test());
  store->append_batch("feed", 1, {reading("segment/1", 500, "a"), reading("segment/2", 100, "b"),
                                  reading("segment/3", 900, "c"), reading("segment/1", 200, "d")});
  store->append_batch("feed", 2, {reading("segment/2", 50, "e")});
  EXPECT_EQ(payloads(replayed_after(*store, 2)), (std::vector<std::string>{"c", "d", "e"}));
  EXPECT_EQ(store->purge_older_than(300), 3u);  // b, d, e
  EXPECT_EQ(payloads(replayed_after(*store, 0)), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(payloads(replayed_after(*store, 1)), std::vector<std::string>{"c"});
  EXPECT_EQ(store->purge_older_than(300), 0u);
  EXPECT_EQ(store->purge_older_than(600), 1u);  // a
  EXPECT_EQ(store->purge_older_than(1000), 1u);  // c: the batch is gone
  EXPECT_TRUE(replayed_after(*store, 0).empty());
  EXPECT_EQ(store->last_log_position(), 5u);

  // A reading at the very end of time keeps its batch listed.
  store->append_batch("feed", 3, {reading("segment/1", 10, "f"), reading("segment/1", INT64_MAX, "g")});
  EXPECT_EQ(store->purge_older_than(100), 1u);
  EXPECT_EQ(payloads(replayed_after(*store, 0)), std::vector<std::string>{"g"});
}

TEST(twin_store, restart_is_the_latest_snapshot_plus_the_readings_after_it) {
  auto options = options_for_test();
  options.snapshots_to_keep = 2;
  auto store = twin_store::open(options);
  store->append_batch("feed", 1, {reading("segment/1", 100, "1a"), reading("segment/2", 90, "1b")});
  const auto at_2 = store->append_batch("feed", 2, {reading("segment/1", 200, "2a")}).log_position;
  store->put_snapshot(200, "after batch 2", at_2);
  store->append_batch("feed", 3, {reading("segment/2", 50, "3a"), reading("segment/3", 300, "3b")});
  store->append_batch("feed", 4, {reading("segment/1", 10, "4a")});

  const auto snapshot = store->latest_snapshot();
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->bytes, "after batch 2");
  EXPECT_EQ(snapshot->log_position, 3u);
  EXPECT_EQ(snapshot->time_ms, 200);
  const auto after = replayed_after(*store, snapshot->log_position);
  EXPECT_EQ(payloads(after), (std::vector<std::string>{"3a", "3b", "4a"}));  // append order, not time order
  EXPECT_EQ(after.front().log_position, 4u);
  EXPECT_EQ(after.back().log_position, 6u);
  EXPECT_TRUE(replayed_after(*store, store->last_log_position()).empty());

  store->put_snapshot(300, "after batch 3", 5);
  store->put_snapshot(400, "after batch 4", 6);
  EXPECT_EQ(store->snapshot_count(), 2u);
  store->put_snapshot(100, "late and stale", 1);  // older than both kept ones: ignored
  EXPECT_EQ(store->snapshot_count(), 2u);
  EXPECT_EQ(store->latest_snapshot()->bytes, "after batch 4");
}

TEST(twin_store, purge_removes_only_readings_older_than_the_cutoff) {
  auto options = options_for_test();
  options.retention_ms = 2000;
  auto store = twin_store::open(options);
  store->append_batch("feed", 1,
                      {reading("segment/1", -5000, "old"), reading("segment/2", 999, "old"),
                       reading("segment/1", 1000, "kept"), reading("segment/2", 1001, "kept"),
                       reading("segment/1", 5000, "kept")});
  EXPECT_EQ(store->purge_older_than(1000), 2u);
  for (const auto& r : replayed_after(*store, 0)) EXPECT_EQ(r.reading.payload, "kept");
  EXPECT_EQ(replayed_after(*store, 0).size(), 3u);
  EXPECT_EQ(payloads(all_history(*store, "segment/1")), (std::vector<std::string>{"kept", "kept"}));
  EXPECT_EQ(payloads(all_history(*store, "segment/2")), std::vector<std::string>{"kept"});
  EXPECT_EQ(store->purge_older_than(1000), 0u);

  EXPECT_EQ(store->purge_expired(4000), 2u);  // cutoff 2000
  EXPECT_EQ(payloads(replayed_after(*store, 0)), std::vector<std::string>{"kept"});
  EXPECT_EQ(store->last_log_position(), 5u);  // positions are never reused
}

TEST(twin_store, a_batch_with_a_bad_twin_id_writes_nothing) {
  auto store = twin_store::open(options_for_test());
  std::vector batch{reading("segment/1", 1, "a"), reading(std::string("segment/\0x", 10), 2, "b"),
                    reading("segment/1", 3, "c")};
  EXPECT_THROW(store->append_batch("feed", 1, batch), std::invalid_argument);
  EXPECT_TRUE(replayed_after(*store, 0).empty());
  EXPECT_EQ(store->last_log_position(), 0u);
  batch[1].twin_id = "segment/2";
  EXPECT_FALSE(store->append_batch("feed", 1, batch).duplicate);  // the failed delivery left no marker
  EXPECT_EQ(replayed_after(*store, 0).size(), 3u);
}

TEST(twin_store, a_directory_it_cannot_create_or_open_is_named_in_the_error) {
  const auto dir = testing::test_temp_dir();
  const auto file = testing::write_file(dir / "a-file", "not a directory");
  store_options options;
  options.directory = std::filesystem::path(file) / "store";
  try {
    twin_store::open(options);
    FAIL() << "opened a store below a regular file";
  } catch (const store_error& e) {
    EXPECT_NE(std::string(e.what()).find(options.directory.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cannot create the store directory"), std::string::npos) << e.what();
  }

  options.directory = dir / "store";
  auto first = twin_store::open(options);
  try {
    twin_store::open(options);  // RocksDB's lock file keeps a second instance out
    FAIL() << "opened one store twice";
  } catch (const store_error& e) {
    EXPECT_EQ(e.directory, options.directory);
    EXPECT_NE(std::string(e.what()).find(options.directory.string()), std::string::npos) << e.what();
    EXPECT_NE(e.detail.find("lock"), std::string::npos) << e.what();
  }
}

// Kills (SIGKILL) a child appending from four threads once it has acknowledged some batches, then
// checks that every acknowledged batch is there in full and no batch is there in part.
TEST(twin_store, acknowledged_batches_survive_a_killed_writer) {
  const auto options = options_for_test();
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
  std::string program = CITYTWIN_STORE_CRASH_WRITER, directory = options.directory.string();
  char* argv[] = {program.data(), directory.data(), nullptr};
  pid_t child = 0;
  const int spawned = posix_spawn(&child, program.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  ASSERT_EQ(spawned, 0) << "cannot start " << program;
  struct kill_on_exit {
    pid_t pid;
    int status = 0;
    void kill_now() {
      if (pid > 0) kill(pid, SIGKILL), waitpid(pid, &status, 0);
      pid = 0;
    }
    ~kill_on_exit() { kill_now(); }
  } writer{child};

  std::map<std::uint64_t, std::uint64_t> acked;  // sequence -> log position
  FILE* from_child = fdopen(pipe_fds[0], "r");
  char line[128];
  while (acked.size() < 40 && std::fgets(line, sizeof line, from_child)) {
    unsigned long long sequence = 0, position = 0;
    if (std::sscanf(line, "acked %llu %llu", &sequence, &position) == 2) acked[sequence] = position;
  }
  writer.kill_now();  // mid-write: the four threads are still appending
  std::fclose(from_child);
  ASSERT_EQ(acked.size(), 40u) << "the writer stopped early";
  ASSERT_TRUE(WIFSIGNALED(writer.status) && WTERMSIG(writer.status) == SIGKILL);

  auto store = twin_store::open(options);
  std::map<std::uint64_t, std::vector<stored_reading>> found;
  for (auto& r : replayed_after(*store, 0)) {
    EXPECT_EQ(r.source, testing::crash_source);
    found[r.sequence].push_back(r.reading);
  }
  for (const auto& [sequence, readings] : found)
    EXPECT_EQ(readings, testing::crash_batch(sequence)) << "batch " << sequence << " is not whole";
  std::uint64_t highest_acked = 0;
  for (const auto& [sequence, position] : acked) {
    EXPECT_TRUE(found.count(sequence)) << "acknowledged batch " << sequence << " is lost";
    const auto redelivered =
        store->append_batch(testing::crash_source, sequence, testing::crash_batch(sequence));
    EXPECT_TRUE(redelivered.duplicate) << "batch " << sequence;
    EXPECT_EQ(redelivered.log_position, position);
    highest_acked = std::max(highest_acked, position);
  }
  // The arrival counter came back past every position in the store, so nothing gets overwritten.
  std::uint64_t highest_stored = 0;
  for (const auto& r : replayed_after(*store, 0)) highest_stored = std::max(highest_stored, r.log_position);
  EXPECT_GE(highest_stored, highest_acked);
  EXPECT_GE(store->last_log_position(), highest_stored);
  const auto fresh = store->append_batch("after the crash", 1, {reading("segment/1", 1, "new")});
  EXPECT_GT(fresh.log_position, highest_stored);
  EXPECT_EQ(payloads(replayed_after(*store, highest_stored)), std::vector<std::string>{"new"});
}

// Readings reach `readings` after their ack, without the WAL (reading_indexer.hpp): a store left
// without closing (as by a crash) must index again what it acknowledged, and must not bring back
// what a purge deleted before.
TEST(twin_store, an_unclosed_store_reindexes_what_it_acknowledged_and_keeps_its_purges) {
  const auto options = options_for_test();
  const std::string command = std::string(CITYTWIN_STORE_CRASH_WRITER) + " '" + options.directory.string() + "' --purge-then-exit";
  FILE* child = popen(command.c_str(), "r");
  ASSERT_NE(child, nullptr);
  char line[128] = {};
  const bool said = std::fgets(line, sizeof line, child) != nullptr;
  const int status = pclose(child);
  ASSERT_TRUE(said) << "the writer printed nothing";
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << line;
  EXPECT_STREQ(line, "history holds 2 readings\n");

  auto store = twin_store::open(options);
  EXPECT_EQ(payloads(all_history(*store, "segment/1")), (std::vector<std::string>{"kept", "after the purge"}));
  EXPECT_EQ(payloads(replayed_after(*store, 0)), (std::vector<std::string>{"kept", "after the purge"}));
  const auto next = store->append_batch("feed", 3, {reading("segment/1", 7'000'000, "next")});
  EXPECT_EQ(next.log_position, 4u);
  EXPECT_EQ(payloads(all_history(*store, "segment/1")), (std::vector<std::string>{"kept", "after the purge", "next"}));
}

}  // namespace citytwin
