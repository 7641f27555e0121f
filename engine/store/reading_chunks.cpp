#include "engine/store/reading_chunks.hpp"

#include "engine/store/store_keys.hpp"

namespace citytwin {

namespace keys = store_keys;

void reading_chunks::add_batch(std::uint64_t first, std::string_view batch_log_value, std::uint64_t skip_through) {
  if (!keys::holds_records(batch_log_value)) return;
  const auto entries = keys::parse_batch_log_value(batch_log_value);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto position = first + i;
    if (position <= skip_through || entries[i].record.empty()) continue;
    const auto window = keys::reading_window(entries[i].time_ms);
    scratch_ = keys::reading_window_start(window, entries[i].twin_id);
    auto found = chunks_.find(std::string_view(scratch_));
    if (found == chunks_.end())
      found = chunks_.emplace(scratch_, chunk{window, std::string(entries[i].twin_id), position, {}}).first;
    keys::append_chunk_reading(found->second.value, entries[i].time_ms, position, entries[i].record);
    ++readings_;
  }
}

void reading_chunks::put_into(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* readings) {
  for (const auto& [window_and_twin, filed] : chunks_)
    batch.Put(readings, keys::reading_chunk_key(filed.window, filed.twin_id, filed.first_position), filed.value);
  chunks_.clear();
  readings_ = 0;
}

}  // namespace citytwin
