// twin_store's retention: readings older than a cutoff go, and dedup markers below each window.

#include <algorithm>
#include <optional>

#include "engine/store/store_keys.hpp"
#include "engine/store/twin_store.hpp"
#include "engine/store/twin_store_impl.hpp"

namespace citytwin {

namespace keys = store_keys;
using store_detail::slice;

std::size_t twin_store::purge_older_than(std::int64_t cutoff_ms) {
  auto& m = *impl_;
  // Purging is redone by the next purge if a crash loses it, so it does not wait for syncs.
  constexpr bool sync = false;
  constexpr std::size_t deletes_per_batch = 3000;
  std::size_t purged = 0;
  rocksdb::WriteBatch batch;
  auto flush = [&] {
    if (batch.Count() > 0) m.write(batch, sync, "purge old readings");
    batch.Clear();
  };

  std::lock_guard lock(m.purge_lock);
  // Only batches whose index is on disk: a re-index after a crash must not bring back what this deletes.
  std::optional<std::uint64_t> durable;
  std::optional<std::int64_t> earliest_window;  // of the readings purged from batch_log
  // Positions must never be reused, also when every reading in the log is purged: keep a floor.
  batch.Put(m.metadata, slice(keys::last_position_key), keys::u64_bytes(m.last_position.load()));
  {
    // Each entry is a batch whose earliest reading still stored is at its time (store_keys.hpp).
    const auto end = keys::time_order_key(cutoff_ms, 0);
    const rocksdb::Slice end_slice(end);
    rocksdb::ReadOptions read_options;
    read_options.iterate_upper_bound = &end_slice;
    std::unique_ptr<rocksdb::Iterator> it(m.db->NewIterator(read_options, m.time_index));
    std::string key, log_value, rewritten;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const auto entry = keys::parse_time_order_key(it->key().ToStringView());
      if (!durable) durable = m.indexer->make_durable();  // only once there is something to purge
      if (entry.position > *durable) continue;  // the next purge takes it
      const auto log_key = keys::batch_log_key(entry.position);
      const auto status = m.db->Get(rocksdb::ReadOptions(), m.batch_log, log_key, &log_value);
      batch.Delete(m.time_index, it->key());
      if (status.IsNotFound()) continue;  // cannot happen: the batch's log entry goes last
      m.check(status, "purge old readings");
      earliest_window = std::min(earliest_window.value_or(INT64_MAX), keys::reading_window(entry.time_ms));
      // A batch's deletes and its moved (or deleted) entries go in one write, so replay and the
      // time index never disagree. Readings filed one entry each go by key; the records of those
      // filed in chunks are emptied here, their chunks below.
      const bool records = keys::holds_records(log_value);
      const bool singles = !records || entry.position <= m.singles_through;
      std::optional<std::int64_t> earliest_left;
      const auto readings = keys::parse_batch_log_value(log_value);
      if (records) keys::start_batch_log_value(rewritten, static_cast<std::uint32_t>(readings.size()), keys::batch_log_form::with_records);
      for (std::size_t i = 0; i < readings.size(); ++i) {
        const auto time_ms = readings[i].time_ms;
        const bool goes = time_ms >= entry.time_ms && time_ms < cutoff_ms;  // below entry.time_ms: purged before
        if (records) keys::append_batch_log_reading(rewritten, readings[i].twin_id, time_ms, goes ? "" : readings[i].record);
        if (time_ms >= cutoff_ms) earliest_left = std::min(earliest_left.value_or(time_ms), time_ms);
        if (!goes) continue;
        ++purged;
        if (!singles) continue;
        keys::assign_reading_key(key, readings[i].twin_id, time_ms, entry.position + i);
        batch.Delete(m.readings, key);
      }
      if (!earliest_left) {
        batch.Delete(m.batch_log, log_key);
      } else {
        batch.Put(m.time_index, keys::time_order_key(*earliest_left, entry.position), rocksdb::Slice());
        if (records) batch.Put(m.batch_log, log_key, rewritten);
      }
      if (batch.Count() >= deletes_per_batch) flush();
    }
    m.check(it->status(), "purge old readings");
    flush();
  }
  if (durable) m.purge_chunks_before(cutoff_ms, *durable, earliest_window);

  // Markers below a source's window are no longer consulted (anything there counts as applied).
  for (const auto& [source, highest] : m.highest_sequences_copy()) {
    if (highest < m.options.dedup_window) continue;
    const auto end = keys::dedup_key(source, highest - m.options.dedup_window + 1);
    const rocksdb::Slice end_slice(end);
    rocksdb::ReadOptions read_options;
    read_options.iterate_upper_bound = &end_slice;
    std::unique_ptr<rocksdb::Iterator> it(m.db->NewIterator(read_options, m.metadata));
    for (it->Seek(keys::dedup_prefix(source)); it->Valid(); it->Next()) {
      batch.Delete(m.metadata, it->key());
      if (batch.Count() >= deletes_per_batch) flush();
    }
    m.check(it->status(), "purge old dedup markers");
  }
  flush();
  return purged;
}

// The chunks' side of a purge, after batch_log's: drops from `readings` every chunked reading
// timed before the cutoff, in chunks at or below `durable` (chunks are filed in position order, so
// a chunk lies wholly at or below it or wholly above). It starts from the window where the last
// purge stopped (metadata 'w') or, if earlier, the earliest window batch_log's side purged, so a
// purge cut short by a crash leaves nothing behind for good.
void twin_store::impl::purge_chunks_before(std::int64_t cutoff_ms, std::uint64_t durable,
                                           std::optional<std::int64_t> earliest_window) {
  constexpr std::size_t writes_per_batch = 3000;
  const auto cutoff_window = keys::reading_window(cutoff_ms);
  const auto stopped = metadata_number(keys::purged_windows_key, "read where the last purge stopped");
  std::int64_t from_window = stopped ? keys::time_from_order(*stopped) : INT64_MIN;
  if (earliest_window) from_window = std::min(from_window, *earliest_window);
  const auto end = keys::reading_window_start(cutoff_window + 1, "");
  const rocksdb::Slice end_slice(end);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &end_slice;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options, readings));
  rocksdb::WriteBatch batch;
  std::string kept;
  for (it->Seek(keys::reading_window_start(from_window, "")); it->Valid(); it->Next()) {
    const auto parts = keys::parse_readings_entry_key(it->key().ToStringView());
    if (!parts.chunk || parts.position > durable) continue;  // single readings went by key
    if (parts.window < cutoff_window) {
      batch.Delete(readings, it->key());
    } else {
      kept.clear();
      const auto filed = keys::parse_chunk_value(it->value().ToStringView());
      for (const auto& reading : filed)
        if (reading.time_ms >= cutoff_ms) keys::append_chunk_reading(kept, reading.time_ms, reading.position, reading.record);
      if (kept.size() == it->value().size()) continue;
      if (kept.empty())
        batch.Delete(readings, it->key());
      else
        batch.Put(readings, it->key(), kept);
    }
    if (batch.Count() >= writes_per_batch) {
      write(batch, false, "purge old readings");
      batch.Clear();
    }
  }
  check(it->status(), "purge old readings");
  batch.Put(metadata, slice(keys::purged_windows_key), keys::u64_bytes(keys::time_order(cutoff_window)));
  write(batch, false, "purge old readings");
}

std::size_t twin_store::purge_expired(std::int64_t now_ms) {
  return purge_older_than(now_ms - impl_->options.retention_ms);
}

}  // namespace citytwin
