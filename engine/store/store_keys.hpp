#pragma once
// How the store lays out its keys, so that RocksDB's byte order is the order we read in: a twin's
// history by time, the log by append position, retention by time.
//
//   column family  key                                  value
//   readings       twin_id '\0' time position           reading_record (kind, source, sequence, payload)
//   log            'p' position                         the reading's key in `readings` (append order: replay)
//   time_index     time position                        twin_id (time order over all twins: retention)
//   snapshots      position time                        the snapshot's bytes
//   metadata       'u' key                              value of put_metadata
//                  'c'                                  a floor for the last log position (written by purges)
//                  'd' source_length source sequence    log position of that batch (its dedup marker)
//   audit          time sequence (as time_index's keys) an audit record's bytes (time order: reading, retention)
//
// Each family receives its keys in a nearly ascending order (the log and time index), or with an
// insert hint per twin (readings), which keeps RocksDB's memtable inserts cheap. Each source's
// highest applied sequence is its last 'd' marker (the store keeps it in memory). Stores written
// before 2026-11-26 also hold 't' keys in `log` (moved to time_index on open) and max-merged 'h'
// and 'c' counters in metadata (the 'h' keys are no longer read).
//
// Numbers are 8-byte big-endian (source_length 4-byte); times have their sign bit flipped so that
// negative times sort before positive ones. The position (a per-reading arrival counter, also the
// log position) keeps readings of one twin at the same time apart, in arrival order.

#include <cstdint>
#include <string>
#include <string_view>

namespace citytwin::store_keys {

void append_u32(std::string& out, std::uint32_t value);
void append_u64(std::string& out, std::uint64_t value);
std::uint32_t read_u32(std::string_view bytes);  // the first 4 bytes
std::uint64_t read_u64(std::string_view bytes);  // the first 8 bytes
std::string u64_bytes(std::uint64_t value);

// Order-preserving mapping of signed times onto unsigned ones, and back.
std::uint64_t time_order(std::int64_t time_ms);
std::int64_t time_from_order(std::uint64_t order);

// `readings`
std::string reading_key(std::string_view twin_id, std::int64_t time_ms, std::uint64_t position);
struct reading_key_parts {
  std::string_view twin_id;
  std::int64_t time_ms = 0;
  std::uint64_t position = 0;
};
reading_key_parts parse_reading_key(std::string_view key);

// `log`
inline constexpr std::string_view append_order_prefix = "p";
inline constexpr std::string_view append_order_end = "q";  // every append-order key is below it
std::string append_order_key(std::uint64_t position);
std::uint64_t position_of_append_order_key(std::string_view key);
// The prefix of the time index's keys in `log` in stores written before 2026-11-26.
inline constexpr std::string_view legacy_time_order_prefix = "t";

// `time_index`
std::string time_order_key(std::int64_t time_ms, std::uint64_t position);
struct time_order_parts {
  std::int64_t time_ms = 0;
  std::uint64_t position = 0;
};
time_order_parts parse_time_order_key(std::string_view key);

// `snapshots`
std::string snapshot_key(std::uint64_t position, std::int64_t time_ms);
struct snapshot_key_parts {
  std::uint64_t position = 0;
  std::int64_t time_ms = 0;
};
snapshot_key_parts parse_snapshot_key(std::string_view key);

// `metadata`
inline constexpr std::string_view user_metadata_prefix = "u";
inline constexpr std::string_view last_position_key = "c";
inline constexpr std::string_view dedup_marker_prefix = "d";
inline constexpr std::string_view dedup_marker_end = "e";
std::string user_metadata_key(std::string_view key);
std::string dedup_prefix(std::string_view source);
std::string dedup_key(std::string_view source, std::uint64_t sequence);
struct dedup_key_parts {
  std::string_view source;
  std::uint64_t sequence = 0;
};
// Throws std::invalid_argument for a key that dedup_key did not make.
dedup_key_parts parse_dedup_key(std::string_view key);

// history() paging: where the last page stopped, as 32 hex digits (fits the API's string field).
std::string resume_token(std::int64_t time_ms, std::uint64_t position);
// Throws std::invalid_argument when the token is not one resume_token made.
time_order_parts parse_resume_token(std::string_view token);

}  // namespace citytwin::store_keys
