#pragma once
// How twin_store configures RocksDB, with the reason for each choice (measurements in
// bench/RESULTS.md, "Sustained ingest"). Private to engine/store.

#include <rocksdb/options.h>

#include <memory>
#include <string_view>

namespace citytwin::store_tuning {

rocksdb::DBOptions db_options(std::shared_ptr<rocksdb::Statistics> statistics);
// Runs RocksDB's compaction threads (process-wide) at the lowest CPU priority, so on a busy machine
// they take the CPU left over by the threads an ack waits for. Flushes keep their priority: a
// starved flush stops every write once the memtables it should empty are full.
void lower_background_priority();
// Options of the column family `name` (one of twin_store::impl::column_family_names).
rocksdb::ColumnFamilyOptions family_options(std::string_view name);

}  // namespace citytwin::store_tuning
