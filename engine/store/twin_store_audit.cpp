// twin_store's audit trail: records keyed by (wall-clock time, sequence), read in time order, and
// dropped after their own retention.

#include <algorithm>

#include "engine/store/store_keys.hpp"
#include "engine/store/twin_store.hpp"
#include "engine/store/twin_store_impl.hpp"

namespace citytwin {

namespace keys = store_keys;
using store_detail::slice;

std::pair<std::int64_t, std::uint64_t> twin_store::impl::next_audit_key(std::int64_t time_ms) {
  std::lock_guard lock(audit_key_lock);
  last_audit_time_ms = std::max(last_audit_time_ms, time_ms);
  return {last_audit_time_ms, ++last_audit_sequence};
}

void twin_store::impl::restore_last_audit_key() {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), audit));
  it->SeekToLast();
  check(it->status(), "read the last audit record");
  if (!it->Valid()) return;
  const auto last = keys::parse_time_order_key(it->key().ToStringView());
  last_audit_time_ms = last.time_ms;
  last_audit_sequence = last.position;
}

std::pair<std::int64_t, std::uint64_t> twin_store::append_audit(std::int64_t time_ms, std::string_view bytes) {
  auto& m = *impl_;
  const auto key = m.next_audit_key(time_ms);
  rocksdb::WriteBatch batch;
  batch.Put(m.audit, keys::time_order_key(key.first, key.second), slice(bytes));
  m.write(batch, m.options.sync_writes, "append an audit record");
  return key;
}

std::vector<audit_entry> twin_store::audit_records(std::int64_t from_ms, std::int64_t to_ms, std::size_t limit,
                                                   std::string* resume_token,
                                                   const std::function<bool(const audit_entry&)>& keep) const {
  const auto& m = *impl_;
  std::vector<audit_entry> page;
  auto start = keys::time_order_key(from_ms, 0);
  if (resume_token && !resume_token->empty()) {
    const auto after = keys::parse_resume_token(*resume_token);
    // Every audit key has the same length, so appending a byte gives the next possible key.
    start = std::max(start, keys::time_order_key(after.time_ms, after.position) + '\0');
  }
  if (resume_token) resume_token->clear();
  if (from_ms >= to_ms) return page;

  const auto end = keys::time_order_key(to_ms, 0);  // sequences start at 1: below every key at to_ms
  const rocksdb::Slice end_slice(end);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &end_slice;
  std::unique_ptr<rocksdb::Iterator> it(m.db->NewIterator(read_options, m.audit));
  std::int64_t last_time_ms = 0;
  std::uint64_t last_sequence = 0;
  for (it->Seek(start); it->Valid() && (limit == 0 || page.size() < limit); it->Next()) {
    const auto parts = keys::parse_time_order_key(it->key().ToStringView());
    audit_entry entry{parts.time_ms, parts.position, it->value().ToString()};
    last_time_ms = parts.time_ms;
    last_sequence = parts.position;
    if (!keep || keep(entry)) page.push_back(std::move(entry));
  }
  m.check(it->status(), "read the audit trail");
  // The token marks the last record looked at, kept or not, so a filtered scan does not look twice.
  if (resume_token && it->Valid() && last_sequence != 0) *resume_token = keys::resume_token(last_time_ms, last_sequence);
  return page;
}

std::size_t twin_store::purge_audit_older_than(std::int64_t cutoff_ms) {
  auto& m = *impl_;
  // Like purging readings: redone by the next purge if a crash loses it, so no sync.
  constexpr std::size_t deletes_per_batch = 3000;
  std::size_t purged = 0;
  rocksdb::WriteBatch batch;
  const auto end = keys::time_order_key(cutoff_ms, 0);
  const rocksdb::Slice end_slice(end);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &end_slice;
  std::unique_ptr<rocksdb::Iterator> it(m.db->NewIterator(read_options, m.audit));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    batch.Delete(m.audit, it->key());
    ++purged;
    if (batch.Count() >= deletes_per_batch) {
      m.write(batch, false, "purge old audit records");
      batch.Clear();
    }
  }
  m.check(it->status(), "purge old audit records");
  if (batch.Count() > 0) m.write(batch, false, "purge old audit records");
  return purged;
}

std::size_t twin_store::purge_expired_audit(std::int64_t wall_now_ms) {
  return purge_audit_older_than(wall_now_ms - impl_->options.audit_retention_ms);
}

}  // namespace citytwin
