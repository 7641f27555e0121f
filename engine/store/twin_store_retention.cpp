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
  // Positions must never be reused, also when every reading in the log is purged: keep a floor.
  batch.Put(m.metadata, slice(keys::last_position_key), keys::u64_bytes(m.last_position.load()));
  {
    // Each entry is a batch whose earliest reading still stored is at its time (store_keys.hpp).
    const auto end = keys::time_order_key(cutoff_ms, 0);
    const rocksdb::Slice end_slice(end);
    rocksdb::ReadOptions read_options;
    read_options.iterate_upper_bound = &end_slice;
    std::unique_ptr<rocksdb::Iterator> it(m.db->NewIterator(read_options, m.time_index));
    std::string key, log_value;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const auto entry = keys::parse_time_order_key(it->key().ToStringView());
      if (!durable) durable = m.indexer->make_durable();  // only once there is something to purge
      if (entry.position > *durable) continue;  // the next purge takes it
      const auto log_key = keys::batch_log_key(entry.position);
      const auto status = m.db->Get(rocksdb::ReadOptions(), m.batch_log, log_key, &log_value);
      batch.Delete(m.time_index, it->key());
      if (status.IsNotFound()) continue;  // cannot happen: the batch's log entry goes last
      m.check(status, "purge old readings");
      // A batch's deletes and its moved (or deleted) entries go in one write, so history, replay
      // and the time index never disagree.
      std::optional<std::int64_t> earliest_left;
      const auto readings = keys::parse_batch_log_value(log_value);
      for (std::size_t i = 0; i < readings.size(); ++i) {
        const auto time_ms = readings[i].time_ms;
        if (time_ms < entry.time_ms) continue;  // purged before
        if (time_ms >= cutoff_ms) {
          earliest_left = std::min(earliest_left.value_or(time_ms), time_ms);
          continue;
        }
        keys::assign_reading_key(key, readings[i].twin_id, time_ms, entry.position + i);
        batch.Delete(m.readings, key);
        ++purged;
      }
      if (earliest_left)
        batch.Put(m.time_index, keys::time_order_key(*earliest_left, entry.position), rocksdb::Slice());
      else
        batch.Delete(m.batch_log, log_key);
      if (batch.Count() >= deletes_per_batch) flush();
    }
    m.check(it->status(), "purge old readings");
    flush();
  }

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

std::size_t twin_store::purge_expired(std::int64_t now_ms) {
  return purge_older_than(now_ms - impl_->options.retention_ms);
}

}  // namespace citytwin
