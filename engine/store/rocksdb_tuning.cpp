#include "engine/store/rocksdb_tuning.hpp"

#include <rocksdb/cache.h>
#include <rocksdb/env.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include <cstring>

#include "engine/store/max_merge_operator.hpp"

namespace citytwin::store_tuning {

namespace {

constexpr std::size_t block_cache_bytes = 64u << 20;
constexpr std::uint64_t max_wal_bytes = 256u << 20;

// A `readings` key up to the '\0' after its twin id, i.e. its window and twin: readings of one twin
// in one window go next to each other, so each insert starts where the twin's previous one ended.
class window_and_twin_prefix final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "citytwin.window_and_twin_prefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    constexpr std::size_t head = 1 + 8;  // '\0' window: may hold NUL bytes itself
    if (key.size() <= head) return key;
    return {key.data(), head + strnlen(key.data() + head, key.size() - head)};
  }
  bool InDomain(const rocksdb::Slice&) const override { return true; }
};

// One cache for every family; index and filter blocks live in it, so the memory SST files take is
// bounded by its size instead of growing with the data on disk.
std::shared_ptr<rocksdb::TableFactory> table_factory() {
  static const auto factory = [] {
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(block_cache_bytes);
    table.cache_index_and_filter_blocks = true;
    table.pin_l0_filter_and_index_blocks_in_cache = true;
    return std::shared_ptr<rocksdb::TableFactory>(rocksdb::NewBlockBasedTableFactory(table));
  }();
  return factory;
}

}  // namespace

rocksdb::DBOptions db_options(std::shared_ptr<rocksdb::Statistics> statistics) {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.statistics = std::move(statistics);
  // Flushes the families that pin old WAL files (metadata, snapshots receive little) once the WAL
  // passes this size, which bounds the disk it takes and the replay after a crash.
  options.max_total_wal_size = max_wal_bytes;
  // A write group (one WAL append and one sync for all writers queued) may hold this much; the
  // default 1 MB cut groups of concurrent 1,000-reading batches into several syncs.
  options.max_write_batch_group_size_bytes = 8u << 20;
  // One thread inserts a write group into the memtables, which lets it use the insert hint on
  // `readings` (RocksDB ignores hints in concurrent inserts): on 2 cores the hint saves more than
  // the parallelism gains (bench/RESULTS.md).
  options.allow_concurrent_memtable_write = false;
  // Flushes and compactions hand their output to the disk a megabyte at a time instead of in one
  // burst when a file closes, which would hold up the WAL syncs that acks wait for.
  options.bytes_per_sync = 1u << 20;
  // `readings` is written without the WAL (reading_indexer.hpp): flushing every family at once
  // keeps it and metadata's indexed position consistent on disk.
  options.atomic_flush = true;
  return options;
}

void lower_background_priority() {
  // Once per process: the thread pools belong to the default Env, shared by every store.
  static const bool lowered = [] {
    rocksdb::Env* env = rocksdb::Env::Default();
    // Best effort: a refusal leaves them as they are. Flushes too: a flush at normal priority took
    // a core for a fifth of a second every few seconds, and the acks queued behind it (p99 16-24 ms
    // against 12-18 ms at low priority, bench/RESULTS.md); family_options leaves a lagging flush room.
    env->LowerThreadPoolCPUPriority(rocksdb::Env::Priority::LOW, rocksdb::CpuPriority::kLow);
    env->LowerThreadPoolCPUPriority(rocksdb::Env::Priority::HIGH, rocksdb::CpuPriority::kLow);
    return true;
  }();
  (void)lowered;
}

rocksdb::ColumnFamilyOptions family_options(std::string_view name) {
  rocksdb::ColumnFamilyOptions options;
  options.table_factory = table_factory();
  // Flushes run at low CPU priority (lower_background_priority): two more memtables let writes go
  // on while one waits for the CPU, instead of stalling at the default of two.
  options.max_write_buffer_number = 4;
  if (name == "readings") {
    options.memtable_insert_with_hint_prefix_extractor = std::make_shared<window_and_twin_prefix>();
    // Each L0 -> L1 compaction rewrites the part of L1 in the newest time windows (store_keys.hpp):
    // waiting for 8 files instead of 4 halves how often that happens, and an L1 of 8 memtables'
    // worth takes them without pushing into L2 each time (measured in bench/RESULTS.md).
    options.level0_file_num_compaction_trigger = 8;
    options.max_bytes_for_level_base = 8 * options.write_buffer_size;
  }
  // Stores written before 2026-11-26 hold max-merged counters here; reading them needs the operator.
  if (name == "metadata") options.merge_operator = std::make_shared<max_merge_operator>();
  return options;
}

}  // namespace citytwin::store_tuning
