#pragma once
// The live twin's durable store, on RocksDB: every accepted reading (as history by twin and time,
// and as an append log for replay), snapshots of the twin's state, the markers that make
// redelivered batches count once, and small metadata. Restart = latest snapshot + replay_after.
//
// Durability: append_batch returns only after its batch is in RocksDB's write-ahead log, synced
// when store_options::sync_writes (the default). Group commit: RocksDB queues concurrent writers
// and lets the first one write the whole queue as one log append with one fsync, so batches
// appended from several threads at once share a sync; a single thread appending one batch after
// another pays one sync per batch. Each batch is one rocksdb::WriteBatch, so a batch is applied
// completely or not at all, also across a crash.
//
// Log positions: every reading gets the next number of a counter (kept in metadata, never reused),
// which is its place in the append log and keeps readings of one twin at the same time apart.
// Positions are handed out before the write, so of two concurrent appends the higher-numbered one
// may commit first: a snapshot's log_position must be one up to which the twin has applied every
// reading (the twin tracks that watermark), not merely the highest position it has seen.
//
// All member functions may be called from any number of threads at once.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/store/store_error.hpp"
#include "engine/store/store_options.hpp"
#include "engine/store/stored_reading.hpp"

namespace citytwin {

struct append_result {
  bool duplicate = false;  // (source, sequence) was applied before: this call wrote nothing
  // The log position of the batch's last reading (for an empty batch, of the last reading before
  // it). For a duplicate, the first delivery's, or 0 when it is no longer remembered (below the window).
  std::uint64_t log_position = 0;
};

// An audit record as stored: its key (wall-clock time and a sequence unique in this store) and the
// record's bytes, which the store does not interpret (the front door writes v1.AuditRecord).
struct audit_entry {
  std::int64_t time_ms = 0;
  std::uint64_t sequence = 0;
  std::string bytes;
};

// An audit record to write with a batch of readings.
struct audit_append {
  std::int64_t time_ms = 0;  // wall clock
  std::string_view bytes;
};

struct twin_snapshot {
  std::int64_t time_ms = 0;
  std::uint64_t log_position = 0;  // the snapshot reflects every reading at or before this position
  std::string bytes;
};

// Counters for metrics. The first four count this instance's calls since open; the rest come from RocksDB.
struct store_stats {
  std::uint64_t batches_written = 0;  // duplicates not counted
  std::uint64_t readings_written = 0;
  std::uint64_t duplicates = 0;     // deliveries recognised as already applied
  std::uint64_t bytes_written = 0;  // WriteBatch bytes of the batches written
  // Syncs of the write-ahead log; fewer than batches_written when concurrent appends share them.
  std::uint64_t wal_syncs = 0;
  std::uint64_t writes_grouped = 0;  // writes committed by another thread as part of its write group
  // Times RocksDB began slowing down or stopping writes (all column families), and the time
  // writers spent slowed down or stopped.
  std::uint64_t write_stalls = 0;
  std::uint64_t write_stall_micros = 0;
  std::uint64_t delayed_write_rate = 0;  // bytes/s RocksDB currently limits writes to; 0 = no limit
  bool write_stopped = false;            // RocksDB currently stops all writes (compaction far behind)
};

class twin_store {
 public:
  // Creates the directory and the column families readings, batch_log, time_index, snapshots,
  // metadata, audit if missing (so a store written before the audit trail opens with an empty one).
  // A store in an older format is converted (store_keys.hpp); one marked with a newer format than
  // this build writes is refused. Throws store_error naming the directory (and for a newer format,
  // both formats), std::invalid_argument for unusable options.
  static std::unique_ptr<twin_store> open(const store_options& options);
  ~twin_store();
  twin_store(const twin_store&) = delete;
  twin_store& operator=(const twin_store&) = delete;

  // Writes all readings and the (source, sequence) marker in one atomic batch (synced when
  // sync_writes), unless that (source, sequence) was applied before, or is at least dedup_window
  // below the source's highest applied sequence: then it writes nothing and says duplicate.
  // Concurrent deliveries of the same (source, sequence) are serialized, so exactly one applies.
  // With `audit`, that record is written in the same atomic batch (not for a duplicate: then
  // nothing is written, and the caller records the duplicate itself with append_audit).
  // Throws std::invalid_argument (nothing written) for a reading with an empty twin id or one
  // containing '\0', store_error when RocksDB fails (nothing written either).
  append_result append_batch(std::string_view source, std::uint64_t sequence,
                             const std::vector<stored_reading>& readings, const audit_append* audit = nullptr);

  // The audit trail (column family `audit`, in time order, with its own retention).
  // Writes one record, synced when sync_writes like a batch of readings. Its key is (time_ms,
  // next sequence), or the last key's time when the clock stepped back, so keys only rise.
  // Returns the key's (time, sequence). Throws store_error when RocksDB fails.
  std::pair<std::int64_t, std::uint64_t> append_audit(std::int64_t time_ms, std::string_view bytes);
  // Records with from_ms <= time_ms < to_ms, oldest first, that `keep` accepts (all when empty), at
  // most `limit` (0 = no limit). resume_token as in history(); throws std::invalid_argument for a
  // token the store did not make.
  std::vector<audit_entry> audit_records(std::int64_t from_ms, std::int64_t to_ms, std::size_t limit,
                                         std::string* resume_token = nullptr,
                                         const std::function<bool(const audit_entry&)>& keep = {}) const;
  // Deletes the audit records with time_ms < cutoff_ms; returns how many. Readings are untouched.
  std::size_t purge_audit_older_than(std::int64_t cutoff_ms);
  // purge_audit_older_than(wall_now_ms - audit_retention_ms).
  std::size_t purge_expired_audit(std::int64_t wall_now_ms);

  // The twin's readings with from_ms <= time_ms < to_ms, by time and, at equal times, in append
  // order; at most `limit` of them (0 = no limit). With a resume_token: a non-empty token continues
  // after the page that returned it (same twin and range), and on return it holds the token for
  // the next page, or is empty when this page is the last.
  std::vector<recorded_reading> history(std::string_view twin_id, std::int64_t from_ms, std::int64_t to_ms,
                                        std::size_t limit, std::string* resume_token = nullptr) const;

  // Visits every reading, of any twin, whose own time is at or after from_ms: by 10-second window
  // of its time, then twin, then time. Only the windows from from_ms's on are read.
  void readings_from(std::int64_t from_ms, const std::function<void(const recorded_reading&)>& visit) const;

  // Visits every reading with a log position after `log_position`, in append order, as of the
  // moment of the call. Readings already purged are not visited.
  void replay_after(std::uint64_t log_position,
                    const std::function<void(const recorded_reading&)>& visit) const;
  // The last log position handed out (0 for an empty store); survives reopening.
  std::uint64_t last_log_position() const;

  // Stores a snapshot of the twin's state, taken when every reading up to log_position was applied,
  // and deletes all but the latest snapshots_to_keep (latest = highest log position, then time).
  // A snapshot older than all of those it would keep is not stored.
  void put_snapshot(std::int64_t time_ms, std::string_view bytes, std::uint64_t log_position);
  std::optional<twin_snapshot> latest_snapshot() const;
  std::size_t snapshot_count() const;

  // Deletes the readings with time_ms < cutoff_ms (from history and from the log), and the dedup
  // markers below each source's window. Returns how many readings it deleted. Audit records have
  // their own retention (purge_expired_audit).
  std::size_t purge_older_than(std::int64_t cutoff_ms);
  // purge_older_than(now_ms - retention_ms).
  std::size_t purge_expired(std::int64_t now_ms);

  // Small values kept across restarts, e.g. the shard assignment. put_metadata always syncs.
  std::optional<std::string> get_metadata(std::string_view key) const;
  void put_metadata(std::string_view key, std::string_view value);

  store_stats stats() const;
  const store_options& options() const;

 private:
  struct impl;
  explicit twin_store(std::unique_ptr<impl> state);
  std::unique_ptr<impl> impl_;
};

}  // namespace citytwin
