#pragma once
// How the store lays out its keys, so that RocksDB's byte order is the order we read in: a twin's
// history by time, the log by append position, retention by time.
//
//   column family  key                                  value
//   readings       '\0' window twin_id '\0' first_position  a chunk: per reading time, position, record (since format 5)
//                  '\0' window twin_id '\0' time position  one reading_record (kind, source, sequence, payload): formats 3, 4
//   batch_log      first_position                       the batch's readings with their records (below; append order: replay)
//   time_index     min_time first_position              empty (time order of batches: retention)
//   snapshots      position time                        the snapshot's bytes
//   metadata       'u' key                              value of put_metadata
//                  'c'                                  a floor for the last log position (written by purges)
//                  'd' source_length source sequence    log position of that batch (its dedup marker)
//                  'v'                                  the store format (store_format_version)
//                  'i'                                  every reading up to this position is in `readings`
//                  'k'                                  batches up to this position have one `readings` entry per reading
//                  'w' window                           a purge dropped the chunked readings before this window (and some in it)
//   audit          time sequence (as time_index's keys) an audit record's bytes (time order: reading, retention)
//
// A batch's readings hold the consecutive positions first_position, first_position + 1, ...; its
// batch_log value holds them in that order as 'R', count (4 bytes), then per reading time (8 bytes),
// twin_id_length (4 bytes), twin_id, record_length (4 bytes), record: the durable copy an ack
// waits for. A purge empties the records of the readings it deletes (record_length 0: no stored
// record is empty). The `readings` entries are built from it afterwards, written without the WAL
// (reading_indexer.hpp), so an ack costs one log entry, not a memtable insert per reading. Before
// format 4 (2026-11-27) the value was a listing without 'R' and records (its readings went into
// `readings` in the same write). min_time is the earliest time of the batch's readings still stored: a purge deletes the
// readings below its cutoff and moves the entry up to the earliest one left.
//
// Since format 5 (2026-11-27) `readings` holds chunks: the readings of one twin in one window
// filed in one write, in position order, keyed by the position of the first. One entry per twin
// and write instead of one per reading: memtable inserts and compaction work per key were most of
// the store's CPU (bench/RESULTS.md). Formats 3 and 4 put one entry per reading (a 16-byte tail
// after the twin id's '\0', a chunk's is 8 bytes); they stay as they are, and metadata 'k' says up
// to which position batches were filed that way.
//
// A reading's window is its time divided by reading_window_ms (rounded down): readings arrive close
// to the wall clock, so new keys land in the newest windows and compaction moves older windows' files
// down whole instead of rewriting every twin's history each time new readings reach a level (format 2
// keyed by twin first, and ingest slowed as the store grew: bench/RESULTS.md). A twin's history is one
// range per window that holds any reading (twin_store_reads.cpp skips the windows that hold none).
//
// Each family receives its keys in a nearly ascending order (batch_log, time_index), or with an
// insert hint per window and twin (readings), which keeps memtable inserts cheap. Each source's highest applied
// sequence is its last 'd' marker (the store keeps it in memory).
//
// Older formats, converted on open (twin_store.cpp): a store before format 4 is marked indexed up
// to its last position (its listings stay as they are). Before format 3 (2026-11-26) a reading's key was
// twin_id '\0' time position. Every such key is at or above "\x01" (twin ids hold no NUL byte) and
// every format 3 key below it, so a conversion cut short by a crash resumes where it stopped.
// Before format 2 (2026-11-26) a `log` family held
// one 'p' position -> reading key entry per reading, and time_index one time position -> twin_id
// entry per reading (read as a batch of one: its value is ignored); before that `log` also held
// the time index as 't' keys, and metadata max-merged 'h' and 'c' counters (the 'h' keys are no
// longer read).
//
// Numbers are 8-byte big-endian (source_length 4-byte); times have their sign bit flipped so that
// negative times sort before positive ones. The position (a per-reading arrival counter, also the
// log position) keeps readings of one twin at the same time apart, in arrival order.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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
inline constexpr std::int64_t reading_window_ms = 10'000;
std::int64_t reading_window(std::int64_t time_ms);  // rounded down, also for negative times
std::string reading_key(std::string_view twin_id, std::int64_t time_ms, std::uint64_t position);
// The same key into `out` (replacing its contents), so a loop can reuse one buffer.
void assign_reading_key(std::string& out, std::string_view twin_id, std::int64_t time_ms,
                        std::uint64_t position);
struct reading_key_parts {
  std::string_view twin_id;
  std::int64_t time_ms = 0;
  std::uint64_t position = 0;
};
// Since format 5: the chunk of `twin_id`'s readings in `window` whose first reading is at first_position.
std::string reading_chunk_key(std::int64_t window, std::string_view twin_id, std::uint64_t first_position);
// Any `readings` key of format 3 or later: a chunk's, or a single reading's (formats 3 and 4).
struct readings_entry_key {
  std::int64_t window = 0;
  std::string_view twin_id;
  bool chunk = false;
  std::int64_t time_ms = 0;         // a single reading's
  std::uint64_t position = 0;       // a single reading's, or a chunk's first
};
// Throws std::invalid_argument for a key that neither reading_key nor reading_chunk_key made.
readings_entry_key parse_readings_entry_key(std::string_view key);
struct chunk_reading {
  std::int64_t time_ms = 0;
  std::uint64_t position = 0;
  std::string_view record;
};
// A chunk's value: its readings one after another, each time (8 bytes), position (8), record_length (4), record.
void append_chunk_reading(std::string& out, std::int64_t time_ms, std::uint64_t position, std::string_view record);
// Throws std::invalid_argument for a value not built as above.
std::vector<chunk_reading> parse_chunk_value(std::string_view value);
// Below every key of `twin_id` in `window` and above every key of a smaller twin id there; with
// an empty twin id, below every key of `window`.
std::string reading_window_start(std::int64_t window, std::string_view twin_id);
// Formats 1 and 2 (above): every legacy key is at or above legacy_readings_begin.
inline constexpr std::string_view legacy_readings_begin = "\x01";
std::string legacy_reading_key(std::string_view twin_id, std::int64_t time_ms, std::uint64_t position);
reading_key_parts parse_legacy_reading_key(std::string_view key);

// `batch_log`
std::string batch_log_key(std::uint64_t first_position);
std::uint64_t first_position_of_batch_log_key(std::string_view key);
struct batch_log_reading {
  std::string_view twin_id;
  std::int64_t time_ms = 0;
  std::string_view record;  // its reading_record; empty in a listing
};
// Since format 4 a batch's value holds its readings' records (the durable copy an ack promises;
// `readings` is built from it off the ack path). Values written before list only time and twin
// id: their readings were put into `readings` in the same write.
enum class batch_log_form { listing, with_records };
inline constexpr char batch_log_records_tag = 'R';  // first byte of a value with records (a listing's is 0)
// Builds a value: start with the count, then append each reading in position order (with its
// record for the form with_records).
void start_batch_log_value(std::string& out, std::uint32_t count, batch_log_form form);
void append_batch_log_reading(std::string& out, std::string_view twin_id, std::int64_t time_ms);
void append_batch_log_reading(std::string& out, std::string_view twin_id, std::int64_t time_ms,
                              std::string_view record);
bool holds_records(std::string_view batch_log_value);  // false for a listing
// Throws std::invalid_argument for a value not built as above (or with a different count).
std::uint32_t batch_log_value_count(std::string_view value);
std::vector<batch_log_reading> parse_batch_log_value(std::string_view value);

// The format this build writes; a store marked with a higher one is refused on open.
inline constexpr std::uint64_t store_format_version = 5;

// The family `log` of format 1: 'p' position -> reading key, and (before 2026-11-26) 't' time keys.
inline constexpr std::string_view append_order_prefix = "p";
inline constexpr std::string_view append_order_end = "q";  // every append-order key is below it
std::string append_order_key(std::uint64_t position);
std::uint64_t position_of_append_order_key(std::string_view key);
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
inline constexpr std::string_view format_version_key = "v";
inline constexpr std::string_view indexed_through_key = "i";
inline constexpr std::string_view singles_through_key = "k";
inline constexpr std::string_view purged_windows_key = "w";
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
