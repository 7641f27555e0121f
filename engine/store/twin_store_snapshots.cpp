// twin_store's snapshots of the twin state: the starting point of a restart, the latest few kept.

#include <algorithm>

#include "engine/store/store_keys.hpp"
#include "engine/store/twin_store.hpp"
#include "engine/store/twin_store_impl.hpp"

namespace citytwin {

namespace keys = store_keys;
using store_detail::slice;

void twin_store::put_snapshot(std::int64_t time_ms, std::string_view bytes, std::uint64_t log_position) {
  auto& m = *impl_;
  std::lock_guard lock(m.snapshot_lock);
  const auto key = keys::snapshot_key(log_position, time_ms);
  std::vector<std::string> existing{key};
  {
    std::unique_ptr<rocksdb::Iterator> it(m.db->NewIterator(rocksdb::ReadOptions(), m.snapshots));
    for (it->SeekToFirst(); it->Valid(); it->Next()) existing.push_back(it->key().ToString());
    m.check(it->status(), "list snapshots");
  }
  std::sort(existing.begin(), existing.end());
  existing.erase(std::unique(existing.begin(), existing.end()), existing.end());
  const auto stale =
      existing.size() > m.options.snapshots_to_keep ? existing.size() - m.options.snapshots_to_keep : 0;
  if (std::find(existing.begin(), existing.begin() + stale, key) != existing.begin() + stale)
    return;  // older than every kept one

  rocksdb::WriteBatch batch;
  batch.Put(m.snapshots, key, slice(bytes));
  for (std::size_t i = 0; i < stale; ++i) batch.Delete(m.snapshots, existing[i]);
  m.write(batch, m.options.sync_writes, "put a snapshot");
}

std::optional<twin_snapshot> twin_store::latest_snapshot() const {
  const auto& m = *impl_;
  std::unique_ptr<rocksdb::Iterator> it(m.db->NewIterator(rocksdb::ReadOptions(), m.snapshots));
  it->SeekToLast();
  m.check(it->status(), "read the latest snapshot");
  if (!it->Valid()) return std::nullopt;
  const auto parts = keys::parse_snapshot_key(it->key().ToStringView());
  return twin_snapshot{parts.time_ms, parts.position, it->value().ToString()};
}

std::size_t twin_store::snapshot_count() const {
  const auto& m = *impl_;
  std::size_t count = 0;
  std::unique_ptr<rocksdb::Iterator> it(m.db->NewIterator(rocksdb::ReadOptions(), m.snapshots));
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++count;
  m.check(it->status(), "count snapshots");
  return count;
}

}  // namespace citytwin
