#pragma once
// Files each batch's readings into `readings` after the batch is durable in batch_log, on a thread
// of its own: an ack then waits for one WAL write of its batch, not for memtable inserts queued
// behind every other batch's (bench/RESULTS.md, 2026-11-27). It gathers the batches of up to
// max_chunk_age (or max_chunk_readings) into chunks, one per twin and window (store_keys.hpp), and
// writes them in one write without the WAL, together with the position up to which every reading
// is filed (metadata 'i'). Batches are filed strictly in position order, so every chunk on disk
// lies at or below that position; flushes are atomic across families, so on disk the position
// always matches `readings`, and an open files again what a crash lost (reindex_after), never a
// reading twice. Private to engine/store.

#include <rocksdb/db.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace citytwin {

class reading_indexer {
 public:
  // `last_position` is the store's counter of handed-out positions; every position up to
  // `indexed_through` is in `readings` already. `fail` builds the error a failed write throws.
  reading_indexer(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* readings, rocksdb::ColumnFamilyHandle* metadata,
                  std::atomic<std::uint64_t>& last_position, std::uint64_t indexed_through,
                  std::function<void(const rocksdb::Status&, const std::string& action)> fail);
  ~reading_indexer();  // files what was handed in, then stops
  reading_indexer(const reading_indexer&) = delete;
  reading_indexer& operator=(const reading_indexer&) = delete;

  // Hands out `count` consecutive positions and returns the first; until the batch is handed in
  // (or abandoned), nothing at or after it counts as indexed.
  std::uint64_t reserve(std::uint64_t count);
  void abandon(std::uint64_t first);  // its write failed: the positions stay a gap
  // The batch at `first` is durable in batch_log with this value (with records): index it.
  void hand_in(std::uint64_t first, std::string batch_log_value);
  // Returns once every batch reserved before the call is filed or abandoned, writing what is
  // gathered at once (reads of `readings` call this first, so they see every acknowledged reading).
  void wait_until_caught_up();
  // As wait_until_caught_up, then flushes every family; returns a position up to which `readings`
  // on disk holds every reading and every chunk there lies at or below it (a purge touches nothing
  // after it, so a re-index never brings back what a purge deleted).
  std::uint64_t make_durable();

  // On open, before any indexer runs: files the readings of every batch after `indexed_through`
  // from batch_log; returns the position indexed through afterwards.
  static std::uint64_t reindex_after(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* batch_log,
                                     rocksdb::ColumnFamilyHandle* readings, rocksdb::ColumnFamilyHandle* metadata,
                                     std::uint64_t indexed_through, std::uint64_t last_position,
                                     const std::function<void(const rocksdb::Status&, const std::string&)>& check);

  // Readings are written at most this long after their batch is handed in (unless someone waits).
  static constexpr std::chrono::milliseconds max_chunk_age{100};
  static constexpr std::size_t max_chunk_readings = 32'768;

 private:
  void run();
  // The first reserved batch not yet taken into the chunks being gathered (none: end()).
  std::map<std::uint64_t, std::uint64_t>::const_iterator next_to_take_locked() const;
  void throw_if_failed_locked() const;

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* readings_;
  rocksdb::ColumnFamilyHandle* metadata_;
  std::atomic<std::uint64_t>& last_position_;
  std::function<void(const rocksdb::Status&, const std::string&)> fail_;

  mutable std::mutex lock_;
  std::condition_variable work_;      // the thread: a batch to take, a waiter, or stop
  std::condition_variable progress_;  // waiters: batches taken, filed or abandoned, or a failure
  std::map<std::uint64_t, std::string> handed_in_;  // by first position, not yet taken
  std::size_t queued_bytes_ = 0;                    // handed in and not yet written
  std::map<std::uint64_t, std::uint64_t> in_flight_;  // first -> count: reserved and not yet written
  std::uint64_t taken_through_ = 0;   // every position up to it is taken, written or abandoned
  std::uint64_t written_through_ = 0;  // the last position written to metadata 'i'
  std::size_t waiters_ = 0;           // in wait_until_caught_up: write at once

  std::optional<rocksdb::Status> failure_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace citytwin
