// twin_store's readers: a twin's history by time, and the log in append order for replay.

#include <rocksdb/snapshot.h>

#include <algorithm>

#include "engine/store/store_keys.hpp"
#include "engine/store/twin_store.hpp"
#include "engine/store/twin_store_impl.hpp"

namespace citytwin {

namespace keys = store_keys;
using store_detail::slice;

std::vector<recorded_reading> twin_store::history(std::string_view twin_id, std::int64_t from_ms,
                                                  std::int64_t to_ms, std::size_t limit,
                                                  std::string* resume_token) const {
  store_detail::check_twin_id(twin_id);
  const auto& m = *impl_;
  m.indexer->wait_until_caught_up();
  std::vector<recorded_reading> page;
  auto start = keys::reading_key(twin_id, from_ms, 0);
  if (resume_token && !resume_token->empty()) {
    const auto after = keys::parse_resume_token(*resume_token);
    // Every key of one twin has the same length, so appending a byte gives the next possible key.
    start = std::max(start, keys::reading_key(twin_id, after.time_ms, after.position) + '\0');
  }
  if (resume_token) resume_token->clear();
  if (from_ms >= to_ms) return page;

  const auto last_window = keys::reading_window(to_ms - 1);
  const auto end = keys::reading_window_start(last_window + 1, "");
  const rocksdb::Slice end_slice(end);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &end_slice;
  std::unique_ptr<rocksdb::Iterator> it(m.db->NewIterator(read_options, m.readings));
  // One more than a page, to know whether another page follows.
  const std::size_t wanted = limit == 0 ? SIZE_MAX : limit + 1;
  it->Seek(start);
  while (it->Valid() && page.size() < wanted) {
    const auto key = it->key().ToStringView();
    const auto parts = keys::parse_reading_key(key);
    if (parts.twin_id == twin_id) {
      if (parts.time_ms >= to_ms) break;
      page.push_back(store_detail::to_recorded(key, it->value().ToStringView()));
      it->Next();
      continue;
    }
    // Past the twin's readings in this key's window (or before them, in a later window than
    // sought): go to the twin's place in the next window that can hold any.
    const auto window = keys::reading_window(parts.time_ms);
    const auto next = parts.twin_id < twin_id ? window : window + 1;
    if (next > last_window) break;
    it->Seek(keys::reading_window_start(next, twin_id));
  }
  m.check(it->status(), "read history of " + std::string(twin_id));
  if (page.size() > limit && limit != 0) {
    page.pop_back();
    if (resume_token) *resume_token = keys::resume_token(page.back().reading.time_ms, page.back().log_position);
  }
  return page;
}

void twin_store::readings_from(std::int64_t from_ms, const std::function<void(const recorded_reading&)>& visit) const {
  const auto& m = *impl_;
  m.indexer->wait_until_caught_up();
  const std::string end(keys::legacy_readings_begin);  // every key of this format sorts below it
  const rocksdb::Slice end_slice(end);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &end_slice;
  std::unique_ptr<rocksdb::Iterator> it(m.db->NewIterator(read_options, m.readings));
  for (it->Seek(keys::reading_window_start(keys::reading_window(from_ms), "")); it->Valid(); it->Next()) {
    const auto key = it->key().ToStringView();
    if (keys::parse_reading_key(key).time_ms < from_ms) continue;  // earlier in from_ms's own window
    visit(store_detail::to_recorded(key, it->value().ToStringView()));
  }
  m.check(it->status(), "read the readings timed from " + std::to_string(from_ms));
}

void twin_store::replay_after(std::uint64_t log_position,
                              const std::function<void(const recorded_reading&)>& visit) const {
  const auto& m = *impl_;
  if (log_position == UINT64_MAX) return;
  m.indexer->wait_until_caught_up();  // a purged reading is missing from `readings`, so replay reads it there
  rocksdb::ManagedSnapshot snapshot(m.db);
  rocksdb::ReadOptions read_options;
  read_options.snapshot = snapshot.snapshot();
  std::unique_ptr<rocksdb::Iterator> it(m.db->NewIterator(read_options, m.batch_log));
  // The batch holding position log_position + 1 starts at or before it.
  it->SeekForPrev(keys::batch_log_key(log_position + 1));
  if (!it->Valid()) it->SeekToFirst();
  std::string key, value;
  for (; it->Valid(); it->Next()) {
    const auto first = keys::first_position_of_batch_log_key(it->key().ToStringView());
    const auto readings = keys::parse_batch_log_value(it->value().ToStringView());
    for (std::size_t i = 0; i < readings.size(); ++i) {
      const auto position = first + i;
      if (position <= log_position) continue;
      keys::assign_reading_key(key, readings[i].twin_id, readings[i].time_ms, position);
      const auto status = m.db->Get(read_options, m.readings, key, &value);
      if (status.IsNotFound()) continue;  // purged (a batch's readings may go at different times)
      m.check(status, "replay the log");
      visit(store_detail::to_recorded(key, value));
    }
  }
  m.check(it->status(), "replay the log");
}

}  // namespace citytwin
