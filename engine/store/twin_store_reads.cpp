// twin_store's readers: a twin's history by time, and the log in append order for replay.

#include <rocksdb/snapshot.h>

#include <algorithm>
#include <tuple>

#include "engine/store/store_keys.hpp"
#include "engine/store/twin_store.hpp"
#include "engine/store/twin_store_impl.hpp"

namespace citytwin {

namespace keys = store_keys;
using store_detail::slice;

namespace {

// A window's readings of a twin come from several entries (chunks, or single readings of formats
// 3 and 4): put them in the order history promises, by time, then log position.
void sort_by_time(std::vector<recorded_reading>& readings) {
  std::sort(readings.begin(), readings.end(), [](const recorded_reading& a, const recorded_reading& b) {
    return std::tie(a.reading.time_ms, a.log_position) < std::tie(b.reading.time_ms, b.log_position);
  });
}

}  // namespace

std::vector<recorded_reading> twin_store::history(std::string_view twin_id, std::int64_t from_ms,
                                                  std::int64_t to_ms, std::size_t limit,
                                                  std::string* resume_token) const {
  store_detail::check_twin_id(twin_id);
  const auto& m = *impl_;
  m.indexer->wait_until_caught_up();
  std::vector<recorded_reading> page;
  std::optional<keys::time_order_parts> after;
  if (resume_token && !resume_token->empty()) after = keys::parse_resume_token(*resume_token);
  if (resume_token) resume_token->clear();
  if (from_ms >= to_ms) return page;

  const auto first_window = keys::reading_window(after ? std::max(from_ms, after->time_ms) : from_ms);
  const auto last_window = keys::reading_window(to_ms - 1);
  const auto end = keys::reading_window_start(last_window + 1, "");
  const rocksdb::Slice end_slice(end);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &end_slice;
  std::unique_ptr<rocksdb::Iterator> it(m.db->NewIterator(read_options, m.readings));
  // One more than a page, to know whether another page follows.
  const std::size_t wanted = limit == 0 ? SIZE_MAX : limit + 1;
  std::vector<recorded_reading> gathered;  // the twin's readings in the windows passed since the last take
  const auto take_gathered = [&] {
    sort_by_time(gathered);
    for (auto& reading : gathered) {
      if (page.size() >= wanted) break;
      const auto time_ms = reading.reading.time_ms;
      if (time_ms < from_ms || time_ms >= to_ms) continue;
      if (after && std::pair(time_ms, reading.log_position) <= std::pair(after->time_ms, after->position)) continue;
      page.push_back(std::move(reading));
    }
    gathered.clear();
  };
  it->Seek(keys::reading_window_start(first_window, twin_id));
  while (it->Valid() && page.size() < wanted) {
    const auto key = it->key().ToStringView();
    const auto parts = keys::parse_readings_entry_key(key);
    if (parts.twin_id == twin_id) {
      store_detail::append_entry_readings(key, it->value().ToStringView(), gathered);
      it->Next();
      continue;
    }
    take_gathered();
    // Past the twin's entries in this key's window (or before them, in a later window than
    // sought): go to the twin's place in the next window that can hold any.
    const auto next = parts.twin_id < twin_id ? parts.window : parts.window + 1;
    if (next > last_window) break;
    it->Seek(keys::reading_window_start(next, twin_id));
  }
  m.check(it->status(), "read history of " + std::string(twin_id));
  take_gathered();
  if (page.size() > limit && limit != 0) {
    page.pop_back();
    if (resume_token) *resume_token = keys::resume_token(page.back().reading.time_ms, page.back().log_position);
  }
  return page;
}

void twin_store::readings_from(std::int64_t from_ms, const std::function<void(const recorded_reading&)>& visit) const {
  const auto& m = *impl_;
  m.indexer->wait_until_caught_up();
  const std::string end(keys::legacy_readings_begin);  // every key of formats 3 and later sorts below it
  const rocksdb::Slice end_slice(end);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &end_slice;
  std::unique_ptr<rocksdb::Iterator> it(m.db->NewIterator(read_options, m.readings));
  std::vector<recorded_reading> gathered;  // one twin's readings in one window
  std::string gathered_prefix;             // their window and twin: the part of the key before the '\0'
  const auto visit_gathered = [&] {
    sort_by_time(gathered);
    for (const auto& reading : gathered)
      if (reading.reading.time_ms >= from_ms) visit(reading);
    gathered.clear();
  };
  for (it->Seek(keys::reading_window_start(keys::reading_window(from_ms), "")); it->Valid(); it->Next()) {
    const auto key = it->key().ToStringView();
    const auto parts = keys::parse_readings_entry_key(key);
    const auto prefix = key.substr(0, 1 + 8 + parts.twin_id.size());
    if (prefix != gathered_prefix) {
      visit_gathered();
      gathered_prefix = prefix;
    }
    store_detail::append_entry_readings(key, it->value().ToStringView(), gathered);
  }
  m.check(it->status(), "read the readings timed from " + std::to_string(from_ms));
  visit_gathered();
}

void twin_store::replay_after(std::uint64_t log_position,
                              const std::function<void(const recorded_reading&)>& visit) const {
  const auto& m = *impl_;
  if (log_position == UINT64_MAX) return;
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
    const auto log_value = it->value().ToStringView();
    // A batch filed in chunks keeps its records here, emptied by a purge; one filed a reading per
    // entry (formats 1 to 4) has them in `readings`, deleted by a purge.
    const bool in_chunks = first > m.singles_through && keys::holds_records(log_value);
    const auto readings = keys::parse_batch_log_value(log_value);
    for (std::size_t i = 0; i < readings.size(); ++i) {
      const auto position = first + i;
      if (position <= log_position) continue;
      if (in_chunks) {
        if (readings[i].record.empty()) continue;  // purged
        visit(store_detail::to_recorded(readings[i].twin_id, readings[i].time_ms, position, readings[i].record));
        continue;
      }
      keys::assign_reading_key(key, readings[i].twin_id, readings[i].time_ms, position);
      const auto status = m.db->Get(read_options, m.readings, key, &value);
      if (status.IsNotFound()) continue;  // purged (a batch's readings may go at different times)
      m.check(status, "replay the log");
      visit(store_detail::to_recorded(readings[i].twin_id, readings[i].time_ms, position, value));
    }
  }
  m.check(it->status(), "replay the log");
}

}  // namespace citytwin
