// The store's audit trail: its own column family in time order, written with a batch or alone,
// paged, purged by its own retention, kept across reopening, created in an older store.

#include <gtest/gtest.h>

#include <rocksdb/db.h>

#include <climits>

#include "engine/store/twin_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace citytwin {

namespace {

store_options options_for_test() {
  store_options options;
  options.directory = testing::test_temp_dir() / "store";
  return options;
}

std::vector<std::string> all_audit(const twin_store& store) {
  std::vector<std::string> out;
  for (const auto& entry : store.audit_records(INT64_MIN, INT64_MAX, 0)) out.push_back(entry.bytes);
  return out;
}

}  // namespace

TEST(twin_store_audit, records_are_in_time_order_and_same_time_records_do_not_collide) {
  auto store = twin_store::open(options_for_test());
  const auto a = store->append_audit(2000, "b");
  const auto b = store->append_audit(1000, "c");  // the clock stepped back: held at 2000
  const auto c = store->append_audit(2000, "d");
  EXPECT_EQ(a.first, 2000);
  EXPECT_EQ(b.first, 2000);
  EXPECT_LT(a.second, b.second);
  EXPECT_LT(b.second, c.second);
  store->append_audit(3000, "e");
  EXPECT_EQ(all_audit(*store), (std::vector<std::string>{"b", "c", "d", "e"}));
  const auto range = store->audit_records(2000, 3000, 0);
  ASSERT_EQ(range.size(), 3u);
  EXPECT_EQ(range[2].time_ms, 2000);
  EXPECT_EQ(range[2].sequence, c.second);
}

TEST(twin_store_audit, a_batch_carries_its_record_in_the_same_write_and_a_duplicate_writes_none) {
  auto store = twin_store::open(options_for_test());
  const std::string bytes = "batch 1";
  const audit_append record{5000, bytes};
  EXPECT_FALSE(store->append_batch("feed", 1, {stored_reading{"segment/1", 4000, 7, "r"}}, &record).duplicate);
  EXPECT_TRUE(store->append_batch("feed", 1, {stored_reading{"segment/1", 4000, 7, "r"}}, &record).duplicate);
  EXPECT_EQ(all_audit(*store), std::vector<std::string>{"batch 1"});
}

TEST(twin_store_audit, pages_filter_and_resume_without_gaps_or_repeats) {
  auto store = twin_store::open(options_for_test());
  for (int i = 0; i < 10; ++i) store->append_audit(1000 + i, (i % 2 ? "odd " : "even ") + std::to_string(i));
  auto odd = [](const audit_entry& e) { return e.bytes.rfind("odd", 0) == 0; };
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    for (const auto& entry : store->audit_records(INT64_MIN, INT64_MAX, 2, &token, odd)) seen.push_back(entry.bytes);
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"odd 1", "odd 3", "odd 5", "odd 7", "odd 9"}));
  EXPECT_EQ(pages, 3);
  std::string bad = "not a token";
  EXPECT_THROW(store->audit_records(INT64_MIN, INT64_MAX, 2, &bad), std::invalid_argument);
}

TEST(twin_store_audit, retention_drops_old_records_only_and_leaves_readings_alone) {
  auto options = options_for_test();
  options.audit_retention_ms = 1000;
  auto store = twin_store::open(options);
  store->append_batch("feed", 1, {stored_reading{"segment/1", 100, 7, "old reading"}});
  store->append_audit(100, "old");
  store->append_audit(1700, "newer");
  store->append_audit(2500, "newest");
  EXPECT_EQ(store->purge_expired_audit(2600), 1u);  // cutoff 1600
  EXPECT_EQ(all_audit(*store), (std::vector<std::string>{"newer", "newest"}));
  EXPECT_EQ(store->history("segment/1", INT64_MIN, INT64_MAX, 0).size(), 1u);
  // And the readings' retention leaves the audit trail alone.
  EXPECT_EQ(store->purge_older_than(INT64_MAX), 1u);
  EXPECT_EQ(all_audit(*store).size(), 2u);
}

TEST(twin_store_audit, reopening_keeps_records_and_continues_their_sequence) {
  const auto options = options_for_test();
  std::uint64_t last = 0;
  {
    auto store = twin_store::open(options);
    store->append_audit(1000, "before");
    last = store->append_audit(1000, "restart").second;
  }
  auto store = twin_store::open(options);
  const auto next = store->append_audit(1000, "after");
  EXPECT_GT(next.second, last);
  EXPECT_EQ(all_audit(*store), (std::vector<std::string>{"before", "restart", "after"}));
}

TEST(twin_store_audit, a_store_written_before_the_audit_trail_opens_with_an_empty_one) {
  const auto options = options_for_test();
  {  // the column families before the audit trail
    rocksdb::DBOptions db_options;
    db_options.create_if_missing = true;
    db_options.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const char* name : {"default", "readings", "log", "time_index", "snapshots", "metadata"})
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    std::filesystem::create_directories(options.directory);
    ASSERT_TRUE(rocksdb::DB::Open(db_options, options.directory.string(), families, &handles, &raw).ok());
    for (auto* handle : handles) raw->DestroyColumnFamilyHandle(handle);
    delete raw;
  }
  auto store = twin_store::open(options);
  EXPECT_TRUE(all_audit(*store).empty());
  store->append_audit(1, "first");
  EXPECT_EQ(all_audit(*store), std::vector<std::string>{"first"});
}

TEST(twin_store_audit, options_without_an_audit_retention_are_refused) {
  auto options = options_for_test();
  options.audit_retention_ms = 0;
  EXPECT_THROW(twin_store::open(options), std::invalid_argument);
}

}  // namespace citytwin
