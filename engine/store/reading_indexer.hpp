#pragma once
// Puts each batch's readings into `readings` after the batch is durable in batch_log, on a thread
// of its own: an ack then waits for one WAL write of its batch, not for a thousand memtable inserts
// queued behind every other batch's (bench/RESULTS.md, 2026-11-27). These writes skip the WAL. With
// them goes the position up to which every reading is in `readings` (metadata 'i'); flushes are
// atomic across families, so on disk that position always matches `readings`, and an open puts in
// again what a crash lost (reindex_after). Private to engine/store.

#include <rocksdb/db.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
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
  ~reading_indexer();  // indexes what was handed in, then stops
  reading_indexer(const reading_indexer&) = delete;
  reading_indexer& operator=(const reading_indexer&) = delete;

  // Hands out `count` consecutive positions and returns the first; until the batch is handed in
  // (or abandoned), nothing at or after it counts as indexed.
  std::uint64_t reserve(std::uint64_t count);
  void abandon(std::uint64_t first);  // its write failed: the positions stay a gap
  // The batch at `first` is durable in batch_log with this value (with records): index it.
  void hand_in(std::uint64_t first, std::string batch_log_value);
  // Returns once every batch reserved before the call is indexed or abandoned (reads of
  // `readings` call this first, so they see every acknowledged reading).
  void wait_until_caught_up();
  // As wait_until_caught_up, then flushes every family; returns a position up to which `readings`
  // on disk holds every reading (a purge touches no batch after it, so a re-index never brings
  // back what a purge deleted).
  std::uint64_t make_durable();

  // On open, before any indexer runs: puts the readings of every batch after `indexed_through`
  // into `readings` from batch_log; returns the position indexed through afterwards.
  static std::uint64_t reindex_after(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* batch_log,
                                     rocksdb::ColumnFamilyHandle* readings, rocksdb::ColumnFamilyHandle* metadata,
                                     std::uint64_t indexed_through, std::uint64_t last_position,
                                     const std::function<void(const rocksdb::Status&, const std::string&)>& check);

 private:
  struct job {
    std::uint64_t first = 0;
    std::string value;
  };
  void run();
  void throw_if_failed_locked() const;

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* readings_;
  rocksdb::ColumnFamilyHandle* metadata_;
  std::atomic<std::uint64_t>& last_position_;
  std::function<void(const rocksdb::Status&, const std::string&)> fail_;

  mutable std::mutex lock_;
  std::condition_variable work_;      // the thread: jobs or stop
  std::condition_variable progress_;  // waiters: batches indexed or abandoned, or a failure
  std::deque<job> jobs_;
  std::size_t queued_bytes_ = 0;
  std::set<std::uint64_t> in_flight_;  // first positions reserved and not yet indexed
  std::uint64_t written_through_ = 0;  // the last position written to metadata 'i'

  std::optional<rocksdb::Status> failure_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace citytwin
