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

recorded_reading to_recorded(std::string_view twin_id, std::int64_t time_ms, std::uint64_t position,
                             std::string_view record_bytes) {
  auto record = decode_reading_record(record_bytes);
  return {stored_reading{std::string(twin_id), time_ms, record.kind, std::move(record.payload)},
          std::move(record.source), record.sequence, position};
}

void append_entry_readings(std::string_view key, std::string_view value, std::vector<recorded_reading>& out) {
  const auto parts = keys::parse_readings_entry_key(key);
  if (!parts.chunk) {
    out.push_back(to_recorded(parts.twin_id, parts.time_ms, parts.position, value));
    return;
  }
  for (const auto& reading : keys::parse_chunk_value(value))
    out.push_back(to_recorded(parts.twin_id, reading.time_ms, reading.position, reading.record));
}

}  // namespace store_detail

twin_store::impl::~impl() {
  if (!db) return;
  indexer.reset();  // indexes what was handed in first
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

// The largest of: the floor purges write, and the position of the last reading in the batch log.
std::uint64_t twin_store::impl::restored_last_position() const {
  std::uint64_t last = metadata_number(keys::last_position_key, "read the last log position").value_or(0);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), batch_log));
  it->SeekToLast();
  check(it->status(), "read the last log position");
  if (it->Valid()) {
    const auto first = keys::first_position_of_batch_log_key(it->key().ToStringView());
    const auto count = keys::batch_log_value_count(it->value().ToStringView());
    if (count > 0) last = std::max(last, first + count - 1);
  }
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

std::uint64_t twin_store::impl::check_format_version() const {
  std::string value;
  const auto status = db->Get(rocksdb::ReadOptions(), metadata, slice(keys::format_version_key), &value);
  if (status.IsNotFound()) return 0;  // format 1, or a new store
  check(status, "read the store format");
  const auto version = keys::read_u64(value);
  if (version > keys::store_format_version)
    throw store_error(options.directory, "cannot open the store",
                      "it is in store format " + std::to_string(version) +
                          ", written by a newer CityTwin; this build reads formats up to " +
                          std::to_string(keys::store_format_version));
  return version;
}

std::optional<std::uint64_t> twin_store::impl::metadata_number(std::string_view key, const std::string& action) const {
  std::string value;
  const auto status = db->Get(rocksdb::ReadOptions(), metadata, slice(key), &value);
  if (status.IsNotFound()) return std::nullopt;
  check(status, action);
  return keys::read_u64(value);
}

std::uint64_t twin_store::impl::restored_indexed_through() const {
  return metadata_number(keys::indexed_through_key, "read the indexed position").value_or(0);  // 0: a new store
}

void twin_store::impl::mark_format_version(std::uint64_t previous_format) {
  const auto version = keys::u64_bytes(keys::store_format_version);
  std::string value;
  const auto status = db->Get(rocksdb::ReadOptions(), metadata, slice(keys::format_version_key), &value);
  if (!status.IsNotFound()) check(status, "read the store format");
  if (status.ok() && value == version) return;
  rocksdb::WriteBatch batch;
  batch.Put(metadata, slice(keys::format_version_key), version);
  if (previous_format < 4) batch.Put(metadata, slice(keys::indexed_through_key), keys::u64_bytes(last_position.load()));
  if (previous_format < 5) {
    // Everything filed so far has one entry per reading; what is filed from now on goes in chunks.
    const auto singles = previous_format < 4 ? last_position.load() : restored_indexed_through();
    batch.Put(metadata, slice(keys::singles_through_key), keys::u64_bytes(singles));
  }
  write(batch, true, "mark the store format");
}

std::uint64_t twin_store::impl::restored_singles_through() const {
  const std::string action = "read the position filed one entry per reading";
  const auto singles = metadata_number(keys::singles_through_key, action);
  if (!singles) check(rocksdb::Status::NotFound("metadata 'k' is missing"), action);
  return *singles;
}

void twin_store::impl::convert_in_chunks(rocksdb::Iterator& it, const std::string& action,
                                         const std::function<void(rocksdb::WriteBatch&, const rocksdb::Slice& key,
                                                                  const rocksdb::Slice& value)>& convert) {
  rocksdb::WriteBatch batch;
  for (; it.Valid(); it.Next()) {
    convert(batch, it.key(), it.value());
    if (batch.Count() >= 10000) {
      write(batch, true, action);
      batch.Clear();
    }
  }
  check(it.status(), action);
  if (batch.Count() > 0) write(batch, true, action);
}

// Format 1 before 2026-11-26: 't' time position -> twin_id in `log`; the same entries as time_index's.
void twin_store::impl::move_legacy_time_index() {
  const rocksdb::Slice end("u");  // every legacy time-order key starts with 't'
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &end;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options, legacy_log));
  it->Seek(slice(keys::legacy_time_order_prefix));
  convert_in_chunks(*it, "move the time index to its own column family", [&](auto& batch, const auto& key, const auto& value) {
    batch.Put(time_index, key.ToStringView().substr(keys::legacy_time_order_prefix.size()), value);
    batch.Delete(legacy_log, key);
  });
}

// Format 1: 'p' position -> reading key per reading; each becomes a batch of one in batch_log (its
// time_index entry, time position, is already the key such a batch has).
void twin_store::impl::convert_legacy_log() {
  const rocksdb::Slice end(slice(keys::append_order_end));
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &end;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options, legacy_log));
  std::string log_value;
  it->Seek(slice(keys::append_order_prefix));
  convert_in_chunks(*it, "convert the append log to batch_log", [&](auto& batch, const auto& key, const auto& value) {
    const auto reading = keys::parse_legacy_reading_key(value.ToStringView());
    keys::start_batch_log_value(log_value, 1, keys::batch_log_form::listing);
    keys::append_batch_log_reading(log_value, reading.twin_id, reading.time_ms);
    batch.Put(batch_log, keys::batch_log_key(keys::position_of_append_order_key(key.ToStringView())), log_value);
    batch.Delete(legacy_log, key);
  });
  check(db->DropColumnFamily(legacy_log), "drop the converted append log");
  check(db->DestroyColumnFamilyHandle(legacy_log), "drop the converted append log");
  handles.pop_back();  // legacy_log was opened last
  legacy_log = nullptr;
}

// Formats 1 and 2 keyed readings by twin first (store_keys.hpp). The iterator's implicit snapshot
// never sees the new keys written as it goes.
void twin_store::impl::convert_legacy_reading_keys() {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), readings));
  it->Seek(slice(keys::legacy_readings_begin));
  convert_in_chunks(*it, "convert reading keys to format 3", [&](auto& batch, const auto& key, const auto& value) {
    const auto reading = keys::parse_legacy_reading_key(key.ToStringView());
    batch.Put(readings, keys::reading_key(reading.twin_id, reading.time_ms, reading.position), value);
    batch.Delete(readings, key);
  });
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
  std::vector<std::string> existing;  // none (and an error) for a new store
  const bool legacy_log =
      rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), options.directory.string(), &existing).ok() &&
      std::find(existing.begin(), existing.end(), impl::legacy_log_name) != existing.end();
  if (legacy_log)
    families.emplace_back(impl::legacy_log_name, store_tuning::family_options(impl::legacy_log_name));

  store_tuning::lower_background_priority();
  const auto status = rocksdb::DB::Open(store_tuning::db_options(state->statistics), options.directory.string(),
                                        families, &state->handles, &state->db);
  if (!status.ok()) {
    state->db = nullptr;
    throw store_error(options.directory, "cannot open the RocksDB store", status.ToString());
  }
  state->readings = state->handles[1];
  state->batch_log = state->handles[2];
  state->time_index = state->handles[3];
  state->snapshots = state->handles[4];
  state->metadata = state->handles[5];
  state->audit = state->handles[6];
  const auto format = state->check_format_version();
  if (legacy_log) {
    state->legacy_log = state->handles[7];
    state->move_legacy_time_index();
    state->convert_legacy_log();
  }
  state->convert_legacy_reading_keys();
  state->last_position = state->restored_last_position();
  state->mark_format_version(format);
  state->singles_through = state->restored_singles_through();
  state->restore_last_audit_key();
  state->restore_highest_sequences();
  const auto checked = [&s = *state](const rocksdb::Status& status, const std::string& action) { s.check(status, action); };
  const auto indexed = reading_indexer::reindex_after(
      state->db, state->batch_log, state->readings, state->metadata,
      state->restored_indexed_through(), state->last_position.load(),
      checked);
  state->indexer = std::make_unique<reading_indexer>(state->db, state->readings, state->metadata, state->last_position,
                                                     indexed, checked);
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
  const std::uint64_t first = m.indexer->reserve(readings.size());
  const std::uint64_t last = first + readings.size() - 1;  // first - 1 for an empty batch
  // The batch's readings with their records go into one batch_log entry, the durable copy the
  // ack promises; the indexer puts them into `readings` after this write (reading_indexer.hpp).
  std::string log_value, record;
  std::size_t bytes = 5;
  for (const auto& reading : readings) bytes += 64 + reading.twin_id.size() + reading.payload.size() + source.size();
  log_value.reserve(bytes);
  keys::start_batch_log_value(log_value, static_cast<std::uint32_t>(readings.size()), keys::batch_log_form::with_records);
  std::int64_t min_time = INT64_MAX;
  for (const auto& reading : readings) {
    assign_reading_record(record, reading.kind, source, sequence, reading.payload);
    keys::append_batch_log_reading(log_value, reading.twin_id, reading.time_ms, record);
    min_time = std::min(min_time, reading.time_ms);
  }
  rocksdb::WriteBatch batch(log_value.size() + 256 + (audit ? audit->bytes.size() : 0));
  // One log and one time index entry for the whole batch (store_keys.hpp), and only Puts.
  if (!readings.empty()) {
    batch.Put(m.batch_log, keys::batch_log_key(first), log_value);
    batch.Put(m.time_index, keys::time_order_key(min_time, first), rocksdb::Slice());
  }
  batch.Put(m.metadata, keys::dedup_key(source, sequence), keys::u64_bytes(last));
  if (audit) {
    const auto [time_ms, audit_sequence] = m.next_audit_key(audit->time_ms);
    batch.Put(m.audit, keys::time_order_key(time_ms, audit_sequence), slice(audit->bytes));
  }
  try {
    m.write(batch, m.options.sync_writes, "append a batch");
  } catch (...) {
    if (!readings.empty()) m.indexer->abandon(first);
    throw;
  }
  m.raise_highest_sequence(source, sequence);
  if (!readings.empty()) m.indexer->hand_in(first, std::move(log_value));

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
