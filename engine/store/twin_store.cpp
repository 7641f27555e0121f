#include "engine/store/twin_store.hpp"

#include <rocksdb/snapshot.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <system_error>

#include "engine/store/reading_record.hpp"
#include "engine/store/rocksdb_tuning.hpp"
#include "engine/store/store_keys.hpp"
#include "engine/store/twin_store_impl.hpp"

namespace citytwin {

namespace keys = store_keys;
using store_detail::check_twin_id;
using store_detail::slice;

namespace store_detail {

void check_twin_id(std::string_view twin_id) {
  if (twin_id.empty()) throw std::invalid_argument("store: a reading has an empty twin id");
  if (twin_id.find('\0') != std::string_view::npos)
    throw std::invalid_argument("store: twin id '" + std::string(twin_id.substr(0, twin_id.find('\0'))) +
                                "...' contains a NUL byte");
}

recorded_reading to_recorded(std::string_view key, std::string_view value) {
  const auto parts = keys::parse_reading_key(key);
  auto record = decode_reading_record(value);
  return {stored_reading{std::string(parts.twin_id), parts.time_ms, record.kind, std::move(record.payload)},
          std::move(record.source), record.sequence, parts.position};
}

}  // namespace store_detail

twin_store::impl::~impl() {
  if (!db) return;
  for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
  db->Close();  // a failure here leaves nothing to do: every acknowledged write is in the WAL
  delete db;
}

void twin_store::impl::check(const rocksdb::Status& status, const std::string& action) const {
  if (!status.ok()) throw store_error(options.directory, action, status.ToString());
}

void twin_store::impl::write(rocksdb::WriteBatch& batch, bool sync, const std::string& action) {
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;
  check(db->Write(write_options, &batch), action);
}

std::mutex& twin_store::impl::delivery_lock(std::string_view source, std::uint64_t sequence) {
  const auto hash = std::hash<std::string_view>{}(source) ^ (sequence * 0x9E3779B97F4A7C15ull);
  return delivery_locks[hash % delivery_locks.size()];
}

std::optional<std::uint64_t> twin_store::impl::highest_sequence(std::string_view source) const {
  std::lock_guard lock(sources_lock);
  const auto found = highest_sequences.find(source);
  if (found == highest_sequences.end()) return std::nullopt;
  return found->second;
}

void twin_store::impl::raise_highest_sequence(std::string_view source, std::uint64_t sequence) {
  std::lock_guard lock(sources_lock);
  auto found = highest_sequences.find(source);
  if (found == highest_sequences.end()) {
    highest_sequences.emplace(std::string(source), sequence);
  } else if (found->second < sequence) {
    found->second = sequence;
  }
}

std::map<std::string, std::uint64_t, std::less<>> twin_store::impl::highest_sequences_copy() const {
  std::lock_guard lock(sources_lock);
  return highest_sequences;
}

std::optional<std::uint64_t> twin_store::impl::earlier_delivery(std::string_view source,
                                                                std::uint64_t sequence) const {
  const auto highest = highest_sequence(source);
  if (!highest || sequence > *highest) return std::nullopt;
  if (*highest - sequence >= options.dedup_window) return 0;
  std::string value;
  const auto status = db->Get(rocksdb::ReadOptions(), metadata, keys::dedup_key(source, sequence), &value);
  if (!status.IsNotFound()) {
    check(status, "read a dedup marker");
    return keys::read_u64(value);
  }
  // A purge deletes a marker only once the highest sequence has moved the window past it.
  if (*highest_sequence(source) - sequence >= options.dedup_window) return 0;
  return std::nullopt;
}

// The largest of: the floor purges write, and the position of the last reading in the log.
std::uint64_t twin_store::impl::restored_last_position() const {
  std::uint64_t last = 0;
  std::string value;
  const auto status = db->Get(rocksdb::ReadOptions(), metadata, slice(keys::last_position_key), &value);
  if (!status.IsNotFound()) {
    check(status, "read the last log position");
    last = keys::read_u64(value);
  }
  const rocksdb::Slice end(slice(keys::append_order_end));
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &end;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options, log));
  it->SeekToLast();
  check(it->status(), "read the last log position");
  if (it->Valid()) last = std::max(last, keys::position_of_append_order_key(it->key().ToStringView()));
  return last;
}

// One seek per source: its markers sort by sequence, so its last marker holds its highest one.
void twin_store::impl::restore_highest_sequences() {
  const rocksdb::Slice end(slice(keys::dedup_marker_end));
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &end;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options, metadata));
  for (it->Seek(slice(keys::dedup_marker_prefix)); it->Valid();) {
    const auto source = std::string(keys::parse_dedup_key(it->key().ToStringView()).source);
    const auto after_source = keys::dedup_key(source, UINT64_MAX) + '\0';
    it->SeekForPrev(after_source);
    check(it->status(), "read the dedup markers");
    highest_sequences[source] = keys::parse_dedup_key(it->key().ToStringView()).sequence;
    it->Seek(after_source);
  }
  check(it->status(), "read the dedup markers");
}

void twin_store::impl::move_legacy_time_index() {
  const rocksdb::Slice end("u");  // every legacy time-order key starts with 't'
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &end;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options, log));
  rocksdb::WriteBatch batch;
  for (it->Seek(slice(keys::legacy_time_order_prefix)); it->Valid(); it->Next()) {
    batch.Put(time_index, it->key().ToStringView().substr(keys::legacy_time_order_prefix.size()), it->value());
    batch.Delete(log, it->key());
    if (batch.Count() >= 10000) {
      write(batch, true, "move the time index to its own column family");
      batch.Clear();
    }
  }
  check(it->status(), "move the time index to its own column family");
  if (batch.Count() > 0) write(batch, true, "move the time index to its own column family");
}

twin_store::twin_store(std::unique_ptr<impl> state) : impl_(std::move(state)) {}
twin_store::~twin_store() = default;

std::unique_ptr<twin_store> twin_store::open(const store_options& options) {
  if (options.directory.empty()) throw std::invalid_argument("store: no directory given");
  if (options.retention_ms <= 0) throw std::invalid_argument("store: retention_ms must be positive");
  if (options.dedup_window == 0) throw std::invalid_argument("store: dedup_window must be at least 1");
  if (options.audit_retention_ms <= 0) throw std::invalid_argument("store: audit_retention_ms must be positive");
  if (options.snapshots_to_keep == 0)
    throw std::invalid_argument("store: snapshots_to_keep must be at least 1");

  auto state = std::make_unique<impl>();
  state->options = options;
  std::error_code error;
  std::filesystem::create_directories(options.directory, error);
  if (error) throw store_error(options.directory, "cannot create the store directory", error.message());

  state->statistics = rocksdb::CreateDBStatistics();
  state->statistics->set_stats_level(rocksdb::StatsLevel::kExceptHistogramOrTimers);
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const char* name : impl::column_family_names)
    families.emplace_back(name, store_tuning::family_options(name));

  const auto status = rocksdb::DB::Open(store_tuning::db_options(state->statistics), options.directory.string(),
                                        families, &state->handles, &state->db);
  if (!status.ok()) {
    state->db = nullptr;
    throw store_error(options.directory, "cannot open the RocksDB store", status.ToString());
  }
  state->readings = state->handles[1];
  state->log = state->handles[2];
  state->time_index = state->handles[3];
  state->snapshots = state->handles[4];
  state->metadata = state->handles[5];
  state->audit = state->handles[6];
  state->move_legacy_time_index();
  state->restore_last_audit_key();
  state->last_position = state->restored_last_position();
  state->restore_highest_sequences();
  return std::unique_ptr<twin_store>(new twin_store(std::move(state)));
}

append_result twin_store::append_batch(std::string_view source, std::uint64_t sequence,
                                       const std::vector<stored_reading>& readings, const audit_append* audit) {
  for (const auto& reading : readings) check_twin_id(reading.twin_id);
  auto& m = *impl_;
  std::lock_guard lock(m.delivery_lock(source, sequence));
  if (auto earlier = m.earlier_delivery(source, sequence)) {
    ++m.duplicates;
    return {true, *earlier};
  }

  // Positions are handed out before the write; a failed write leaves a gap, which replay skips.
  const std::uint64_t first = m.last_position.fetch_add(readings.size()) + 1;
  const std::uint64_t last = first + readings.size() - 1;  // first - 1 for an empty batch
  rocksdb::WriteBatch batch;
  for (std::size_t i = 0; i < readings.size(); ++i) {
    const auto& reading = readings[i];
    const auto position = first + i;
    auto key = keys::reading_key(reading.twin_id, reading.time_ms, position);
    batch.Put(m.readings, key, encode_reading_record(reading.kind, source, sequence, reading.payload));
    batch.Put(m.log, keys::append_order_key(position), key);
    batch.Put(m.time_index, keys::time_order_key(reading.time_ms, position), reading.twin_id);
  }
  // Only Puts: RocksDB then inserts the batches of one write group into the memtables in parallel.
  batch.Put(m.metadata, keys::dedup_key(source, sequence), keys::u64_bytes(last));
  if (audit) {
    const auto [time_ms, audit_sequence] = m.next_audit_key(audit->time_ms);
    batch.Put(m.audit, keys::time_order_key(time_ms, audit_sequence), slice(audit->bytes));
  }
  m.write(batch, m.options.sync_writes, "append a batch");
  m.raise_highest_sequence(source, sequence);

  ++m.batches_written;
  m.readings_written += readings.size();
  m.bytes_written += batch.GetDataSize();
  return {false, last};
}

std::uint64_t twin_store::last_log_position() const { return impl_->last_position.load(); }

std::optional<std::string> twin_store::get_metadata(std::string_view key) const {
  const auto& m = *impl_;
  std::string value;
  const auto status = m.db->Get(rocksdb::ReadOptions(), m.metadata, keys::user_metadata_key(key), &value);
  if (status.IsNotFound()) return std::nullopt;
  m.check(status, "read metadata '" + std::string(key) + "'");
  return value;
}

void twin_store::put_metadata(std::string_view key, std::string_view value) {
  auto& m = *impl_;
  rocksdb::WriteBatch batch;
  batch.Put(m.metadata, keys::user_metadata_key(key), slice(value));
  m.write(batch, true, "write metadata '" + std::string(key) + "'");
}

store_stats twin_store::stats() const {
  const auto& m = *impl_;
  store_stats stats;
  stats.batches_written = m.batches_written.load();
  stats.readings_written = m.readings_written.load();
  stats.duplicates = m.duplicates.load();
  stats.bytes_written = m.bytes_written.load();
  stats.wal_syncs = m.statistics->getTickerCount(rocksdb::WAL_FILE_SYNCED);
  stats.writes_grouped = m.statistics->getTickerCount(rocksdb::WRITE_DONE_BY_OTHER);
  stats.write_stall_micros = m.statistics->getTickerCount(rocksdb::STALL_MICROS);
  for (auto* family : m.handles) {
    std::map<std::string, std::string> cf_stats;
    if (!m.db->GetMapProperty(family, rocksdb::DB::Properties::kCFStats, &cf_stats)) continue;
    for (const char* counter : {"io_stalls.total_slowdown", "io_stalls.total_stop"})
      if (auto found = cf_stats.find(counter); found != cf_stats.end())
        stats.write_stalls += std::stoull(found->second);
  }
  std::uint64_t value = 0;
  if (m.db->GetIntProperty(rocksdb::DB::Properties::kActualDelayedWriteRate, &value))
    stats.delayed_write_rate = value;
  if (m.db->GetIntProperty(rocksdb::DB::Properties::kIsWriteStopped, &value))
    stats.write_stopped = value != 0;
  return stats;
}

const store_options& twin_store::options() const { return impl_->options; }

}  // namespace citytwin
