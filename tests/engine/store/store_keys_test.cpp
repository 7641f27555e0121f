#include "engine/store/store_keys.hpp"

#include <gtest/gtest.h>

#include <climits>
#include <stdexcept>

#include "engine/store/max_merge_operator.hpp"
#include "engine/store/reading_record.hpp"

namespace citytwin {

namespace keys = store_keys;

TEST(store_keys, reading_keys_sort_by_window_then_twin_then_time_then_position) {
  EXPECT_LT(keys::reading_key("segment/4", INT64_MIN, 1), keys::reading_key("segment/4", -1, 1));
  EXPECT_LT(keys::reading_key("segment/4", -1, 9), keys::reading_key("segment/4", 0, 1));
  EXPECT_LT(keys::reading_key("segment/4", 0, 1), keys::reading_key("segment/4", 0, 2));
  EXPECT_LT(keys::reading_key("segment/4", 256, 1), keys::reading_key("segment/4", 257, 1));
  EXPECT_LT(keys::reading_key("segment/4", 1000, 1), keys::reading_key("segment/4", INT64_MAX, 1));
  // Within a window, a twin whose id extends another's never falls inside the other's range.
  EXPECT_LT(keys::reading_key("segment/4", keys::reading_window_ms - 1, UINT64_MAX),
            keys::reading_key("segment/42", 0, 0));
  // Across windows, the window comes first.
  EXPECT_LT(keys::reading_key("segment/9", keys::reading_window_ms - 1, 1),
            keys::reading_key("segment/1", keys::reading_window_ms, 1));
  EXPECT_LT(keys::reading_key("segment/9", -1, 1), keys::reading_key("segment/1", 0, 1));
  EXPECT_LT(keys::reading_window_start(0, "segment/4"), keys::reading_key("segment/4", 0, 0));
  EXPECT_LT(keys::reading_key("segment/3", keys::reading_window_ms - 1, UINT64_MAX),
            keys::reading_window_start(0, "segment/4"));
  EXPECT_LT(keys::reading_key("segment/9", -1, UINT64_MAX), keys::reading_window_start(0, ""));

  EXPECT_EQ(keys::reading_window(0), 0);
  EXPECT_EQ(keys::reading_window(keys::reading_window_ms - 1), 0);
  EXPECT_EQ(keys::reading_window(keys::reading_window_ms), 1);
  EXPECT_EQ(keys::reading_window(-1), -1);
  EXPECT_EQ(keys::reading_window(-keys::reading_window_ms), -1);
  EXPECT_EQ(keys::reading_window(-keys::reading_window_ms - 1), -2);

  for (const std::int64_t time : {INT64_MIN, std::int64_t{-1234}, std::int64_t{0}, INT64_MAX}) {
    const auto key = keys::reading_key("segment/42", time, 99);
    const auto parts = keys::parse_readings_entry_key(key);
    EXPECT_EQ(parts.twin_id, "segment/42");
    EXPECT_EQ(parts.time_ms, time);
    EXPECT_EQ(parts.position, 99u);
  }
  EXPECT_THROW(keys::parse_readings_entry_key("segment/42"), std::invalid_argument);
  EXPECT_THROW(keys::parse_readings_entry_key(keys::legacy_reading_key("segment/42", 5, 1)), std::invalid_argument);
  auto wrong_window = keys::reading_key("segment/42", 5, 1);
  wrong_window[8] = 1;  // window 1 cannot hold time 5
  EXPECT_THROW(keys::parse_readings_entry_key(wrong_window), std::invalid_argument);
}

TEST(store_keys, legacy_reading_keys_sort_above_every_current_one_and_parse) {
  const auto legacy = keys::legacy_reading_key("\x01", INT64_MIN, 0);  // the smallest a twin id allows
  EXPECT_GE(legacy, std::string(keys::legacy_readings_begin));
  EXPECT_LT(keys::reading_key("\xff\xff", INT64_MAX, UINT64_MAX), std::string(keys::legacy_readings_begin));
  const auto key = keys::legacy_reading_key("segment/7", -3, 8);
  const auto parts = keys::parse_legacy_reading_key(key);
  EXPECT_EQ(parts.twin_id, "segment/7");
  EXPECT_EQ(parts.time_ms, -3);
  EXPECT_EQ(parts.position, 8u);
}

TEST(store_keys, resume_tokens_round_trip_and_reject_anything_else) {
  const auto token = keys::resume_token(-5, 77);
  EXPECT_EQ(token.size(), 32u);
  EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos);  // fits a UTF-8 string field
  const auto parts = keys::parse_resume_token(token);
  EXPECT_EQ(parts.time_ms, -5);
  EXPECT_EQ(parts.position, 77u);
  EXPECT_THROW(keys::parse_resume_token(token.substr(1)), std::invalid_argument);
  EXPECT_THROW(keys::parse_resume_token("zz" + token.substr(2)), std::invalid_argument);
}

TEST(store_keys, dedup_keys_of_one_source_do_not_share_a_prefix_with_another) {
  // Length-prefixed: "ab" + sequence can never look like source "a" with some sequence.
  EXPECT_NE(keys::dedup_key("ab", 1).rfind(keys::dedup_prefix("a"), 0), 0u);
  EXPECT_EQ(keys::dedup_key("a", 1).rfind(keys::dedup_prefix("a"), 0), 0u);
  EXPECT_LT(keys::dedup_key("a", 255), keys::dedup_key("a", 256));
}

TEST(store_keys, batch_log_values_with_and_without_records_round_trip_and_reject_damage) {
  std::string with_records;
  keys::start_batch_log_value(with_records, 2, keys::batch_log_form::with_records);
  const std::string record("\0rec", 4);
  keys::append_batch_log_reading(with_records, "1-2", -5, record);
  keys::append_batch_log_reading(with_records, "3-4", 7, "");
  const auto parsed = keys::parse_batch_log_value(with_records);
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[0].twin_id, "1-2");
  EXPECT_EQ(parsed[0].time_ms, -5);
  EXPECT_EQ(parsed[0].record, record);
  EXPECT_EQ(parsed[1].twin_id, "3-4");
  EXPECT_EQ(keys::batch_log_value_count(with_records), 2u);
  EXPECT_TRUE(keys::holds_records(with_records));

  std::string listing;  // as stores before format 4 wrote them
  keys::start_batch_log_value(listing, 1, keys::batch_log_form::listing);
  keys::append_batch_log_reading(listing, "1-2", 9);
  const auto listed = keys::parse_batch_log_value(listing);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].time_ms, 9);
  EXPECT_TRUE(listed[0].record.empty());
  EXPECT_FALSE(keys::holds_records(listing));

  EXPECT_THROW(keys::parse_batch_log_value(with_records.substr(0, with_records.size() - 1)), std::invalid_argument);
  EXPECT_THROW(keys::parse_batch_log_value(with_records + "x"), std::invalid_argument);
  EXPECT_THROW(keys::parse_batch_log_value("R"), std::invalid_argument);
}

TEST(store_keys, chunk_keys_and_single_reading_keys_parse_apart_and_chunks_round_trip) {
  const auto window = keys::reading_window(12'345);
  const auto chunk_key = keys::reading_chunk_key(window, "7-8", 42);
  const auto chunk = keys::parse_readings_entry_key(chunk_key);
  EXPECT_TRUE(chunk.chunk);
  EXPECT_EQ(chunk.window, window);
  EXPECT_EQ(chunk.twin_id, "7-8");
  EXPECT_EQ(chunk.position, 42u);
  const auto single_key = keys::reading_key("7-8", 12'345, 43);
  const auto single = keys::parse_readings_entry_key(single_key);
  EXPECT_FALSE(single.chunk);
  EXPECT_EQ(single.window, window);
  EXPECT_EQ(single.twin_id, "7-8");
  EXPECT_EQ(single.time_ms, 12'345);
  EXPECT_EQ(single.position, 43u);
  // Both kinds of one twin and window sort together, apart from a twin whose id extends it.
  const auto window_start = keys::reading_window_start(window, "7-8");
  EXPECT_EQ(chunk_key.compare(0, window_start.size(), window_start), 0);
  EXPECT_LT(chunk_key, keys::reading_chunk_key(window, "7-80", 1));
  EXPECT_THROW(keys::parse_readings_entry_key(chunk_key + "x"), std::invalid_argument);
  EXPECT_THROW(keys::parse_readings_entry_key(keys::reading_window_start(window, "7-8")), std::invalid_argument);

  std::string value;
  const std::string record("\0rec", 4);
  keys::append_chunk_reading(value, 12'345, 42, record);
  keys::append_chunk_reading(value, -3, 44, "r2");
  const auto readings = keys::parse_chunk_value(value);
  ASSERT_EQ(readings.size(), 2u);
  EXPECT_EQ(readings[0].time_ms, 12'345);
  EXPECT_EQ(readings[0].position, 42u);
  EXPECT_EQ(readings[0].record, record);
  EXPECT_EQ(readings[1].time_ms, -3);
  EXPECT_EQ(readings[1].position, 44u);
  EXPECT_EQ(readings[1].record, "r2");
  EXPECT_THROW(keys::parse_chunk_value(value.substr(0, value.size() - 1)), std::invalid_argument);
  EXPECT_THROW(keys::parse_chunk_value(value + "x"), std::invalid_argument);
}

TEST(store_reading_record, round_trips_and_rejects_foreign_bytes) {
  const std::string payload("\0\x01proto", 7);
  const auto record = decode_reading_record(encode_reading_record(3, "scada-north", 42, payload));
  EXPECT_EQ(record.kind, 3u);
  EXPECT_EQ(record.sequence, 42u);
  EXPECT_EQ(record.source, "scada-north");
  EXPECT_EQ(record.payload, payload);
  EXPECT_THROW(decode_reading_record("garbage"), std::invalid_argument);
}

TEST(store_max_merge_operator, keeps_the_larger_number_whatever_order_they_come_in) {
  const max_merge_operator merge;
  auto merged = [&](std::uint64_t existing, std::uint64_t operand) {
    const auto existing_bytes = keys::u64_bytes(existing);
    const rocksdb::Slice existing_slice(existing_bytes);
    std::string out;
    EXPECT_TRUE(merge.Merge("c", &existing_slice, keys::u64_bytes(operand), &out, nullptr));
    return keys::read_u64(out);
  };
  EXPECT_EQ(merged(10, 5), 10u);
  EXPECT_EQ(merged(5, 10), 10u);
  EXPECT_EQ(merged(255, 256), 256u);
  std::string out;
  EXPECT_TRUE(merge.Merge("c", nullptr, keys::u64_bytes(7), &out, nullptr));
  EXPECT_EQ(keys::read_u64(out), 7u);
  EXPECT_FALSE(merge.Merge("c", nullptr, "short", &out, nullptr));
}

}  // namespace citytwin
