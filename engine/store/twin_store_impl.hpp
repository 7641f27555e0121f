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
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/store/twin_store.hpp"

namespace citytwin {

struct twin_store::impl {
  store_options options;
  std::shared_ptr<rocksdb::Statistics> statistics;
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // in the order of column_family_names
  rocksdb::ColumnFamilyHandle* readings = nullptr;
  rocksdb::ColumnFamilyHandle* log = nullptr;
  rocksdb::ColumnFamilyHandle* snapshots = nullptr;
  rocksdb::ColumnFamilyHandle* metadata = nullptr;
  static constexpr std::array<const char*, 5> column_family_names = {"default", "readings", "log",
                                                                     "snapshots", "metadata"};

  std::atomic<std::uint64_t> last_position{0};
  // Deliveries of one (source, sequence) go through one of these, so the check for its marker and
  // the write of it cannot interleave with another delivery of the same batch. Striped by
  // (source, sequence) rather than one lock so that other batches, also of the same source, still
  // reach RocksDB together and share a sync.
  std::array<std::mutex, 64> delivery_locks;
  std::mutex snapshot_lock;

  std::atomic<std::uint64_t> batches_written{0}, readings_written{0}, duplicates{0}, bytes_written{0};

  ~impl();

  // Throws store_error naming the directory, `action` and RocksDB's status text unless ok.
  void check(const rocksdb::Status& status, const std::string& action) const;
  void write(rocksdb::WriteBatch& batch, bool sync, const std::string& action);
  std::mutex& delivery_lock(std::string_view source, std::uint64_t sequence);
  // Whether (source, sequence) was applied before; if so, the log position it then returned (0
  // when below the window).
  std::optional<std::uint64_t> earlier_delivery(std::string_view source, std::uint64_t sequence) const;
  std::uint64_t restored_last_position() const;
};

namespace store_detail {

// Throws std::invalid_argument for an id that is empty or contains '\0' (it ends the id in keys).
void check_twin_id(std::string_view twin_id);
inline rocksdb::Slice slice(std::string_view bytes) { return {bytes.data(), bytes.size()}; }
// A `readings` entry as history and replay hand it out.
recorded_reading to_recorded(std::string_view key, std::string_view value);

}  // namespace store_detail

}  // namespace citytwin
