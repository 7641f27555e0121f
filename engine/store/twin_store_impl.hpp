#pragma once
// twin_store's state and the helpers its source files share (twin_store.cpp: opening, appending,
// metadata, stats; twin_store_reads.cpp; twin_store_snapshots.cpp; twin_store_retention.cpp).
// Private to engine/store: only these files include RocksDB.

#include <rocksdb/db.h>
#include <rocksdb/statistics.h>
#include <rocksdb/write_batch.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/store/reading_indexer.hpp"
#include "engine/store/twin_store.hpp"

namespace citytwin {

struct twin_store::impl {
  store_options options;
  std::shared_ptr<rocksdb::Statistics> statistics;
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // in the order of column_family_names
  rocksdb::ColumnFamilyHandle* readings = nullptr;
  rocksdb::ColumnFamilyHandle* batch_log = nullptr;
  rocksdb::ColumnFamilyHandle* time_index = nullptr;
  rocksdb::ColumnFamilyHandle* snapshots = nullptr;
  rocksdb::ColumnFamilyHandle* metadata = nullptr;
  rocksdb::ColumnFamilyHandle* audit = nullptr;
  static constexpr std::array<const char*, 7> column_family_names = {
      "default", "readings", "batch_log", "time_index", "snapshots", "metadata", "audit"};
  // Format 1's per-reading log, open only while open() converts it (then dropped).
  static constexpr const char* legacy_log_name = "log";
  rocksdb::ColumnFamilyHandle* legacy_log = nullptr;

  std::atomic<std::uint64_t> last_position{0};  // handed out by indexer->reserve
  std::unique_ptr<reading_indexer> indexer;      // started by open(), after it re-indexed what a crash lost
  // Batches up to this position have one `readings` entry per reading (formats 3 and 4; metadata
  // 'k'); later ones are filed in chunks, and their batch_log entry is what replay reads.
  std::uint64_t singles_through = 0;
  // Each source's highest applied sequence, rebuilt from the dedup markers on open and raised after
  // each write: the duplicate check needs no RocksDB read for a new batch, and no counter in RocksDB.
  mutable std::mutex sources_lock;
  std::map<std::string, std::uint64_t, std::less<>> highest_sequences;
  // Deliveries of one (source, sequence) go through one of these, so the check for its marker and
  // the write of it cannot interleave with another delivery of the same batch. Striped by
  // (source, sequence) rather than one lock so that other batches, also of the same source, still
  // reach RocksDB together and share a sync.
  std::array<std::mutex, 64> delivery_locks;
  std::mutex snapshot_lock;
  std::mutex purge_lock;  // one purge at a time, so the last-position floor they write only rises
  // The key of the last audit record handed out: keys only ever rise (a clock stepping back is
  // held at the last time), so the newest key on open holds the highest sequence.
  std::mutex audit_key_lock;
  std::int64_t last_audit_time_ms = INT64_MIN;
  std::uint64_t last_audit_sequence = 0;

  std::atomic<std::uint64_t> batches_written{0}, readings_written{0}, duplicates{0}, bytes_written{0};

  ~impl();

  // Throws store_error naming the directory, `action` and RocksDB's status text unless ok.
  void check(const rocksdb::Status& status, const std::string& action) const;
  void write(rocksdb::WriteBatch& batch, bool sync, const std::string& action);
  std::mutex& delivery_lock(std::string_view source, std::uint64_t sequence);
  // Whether (source, sequence) was applied before; if so, the log position it then returned (0
  // when below the window).
  std::optional<std::uint64_t> earlier_delivery(std::string_view source, std::uint64_t sequence) const;
  std::optional<std::uint64_t> highest_sequence(std::string_view source) const;
  void raise_highest_sequence(std::string_view source, std::uint64_t sequence);
  std::map<std::string, std::uint64_t, std::less<>> highest_sequences_copy() const;
  // On open: the last position handed out before, and each source's highest sequence.
  std::uint64_t restored_last_position() const;
  void restore_highest_sequences();
  // The next audit key at or after time_ms (see audit_key_lock); returns (time, sequence).
  std::pair<std::int64_t, std::uint64_t> next_audit_key(std::int64_t time_ms);
  // On open: the newest audit key.
  void restore_last_audit_key();
  // On open: refuses a store of a newer format; converts format 1 (see store_keys.hpp) and drops
  // its `log` family, and formats 1 and 2's reading keys; then marks the store with store_format_version.
  // Returns the format the store was in (0: format 1, or a new store).
  std::uint64_t check_format_version() const;
  // Visits what `it` holds from where it stands; `convert` adds each entry's puts and deletes to a
  // batch written (synced) every 10,000 operations, so a crash midway leaves each entry converted or
  // not, never half, and the next open goes on from there.
  void convert_in_chunks(rocksdb::Iterator& it, const std::string& action,
                         const std::function<void(rocksdb::WriteBatch&, const rocksdb::Slice& key, const rocksdb::Slice& value)>& convert);
  void move_legacy_time_index();
  void convert_legacy_log();
  void convert_legacy_reading_keys();
  // Marks the store with store_format_version; coming from a format before 4, which put every
  // reading into `readings` with its batch, it marks everything up to last_position indexed;
  // coming from one before 5, it records up to where readings were filed one entry each ('k').
  void mark_format_version(std::uint64_t previous_format);
  // On open: the position up to which every reading is in `readings` (metadata 'i').
  // A number kept in metadata under `key` (nullopt when there is none); throws store_error naming `action`.
  std::optional<std::uint64_t> metadata_number(std::string_view key, const std::string& action) const;
  std::uint64_t restored_indexed_through() const;
  std::uint64_t restored_singles_through() const;
  // purge_older_than's second half (twin_store_retention.cpp).
  void purge_chunks_before(std::int64_t cutoff_ms, std::uint64_t durable, std::optional<std::int64_t> earliest_window);  // metadata 'k', written by mark_format_version
};

namespace store_detail {

// Throws std::invalid_argument for an id that is empty or contains '\0' (it ends the id in keys).
void check_twin_id(std::string_view twin_id);
inline rocksdb::Slice slice(std::string_view bytes) { return {bytes.data(), bytes.size()}; }
// A reading as history and replay hand it out, from its stored reading_record.
recorded_reading to_recorded(std::string_view twin_id, std::int64_t time_ms, std::uint64_t position,
                             std::string_view record);
// Appends the readings a `readings` entry holds (one, or a chunk's), in position order.
void append_entry_readings(std::string_view key, std::string_view value, std::vector<recorded_reading>& out);

}  // namespace store_detail

}  // namespace citytwin
