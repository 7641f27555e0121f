#pragma once
// Groups filed readings into the chunks `readings` holds since store format 5: one entry per twin
// and time window per write, in position order (store_keys.hpp). Private to engine/store.

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace citytwin {

class reading_chunks {
 public:
  // Adds the readings of a batch_log entry (first position `first`) after position `skip_through`;
  // a listing (before format 4) adds none, nor does a reading a purge emptied.
  void add_batch(std::uint64_t first, std::string_view batch_log_value, std::uint64_t skip_through = 0);
  std::size_t readings() const { return readings_; }
  // Puts every chunk into `batch` and starts over.
  void put_into(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* readings);

 private:
  struct transparent_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view bytes) const { return std::hash<std::string_view>{}(bytes); }
  };
  struct chunk {
    std::int64_t window = 0;
    std::string twin_id;
    std::uint64_t first_position = 0;
    std::string value;
  };
  // By the window and twin part of their key (store_keys::reading_window_start).
  std::unordered_map<std::string, chunk, transparent_hash, std::equal_to<>> chunks_;
  std::size_t readings_ = 0;
  std::string scratch_;
};

}  // namespace citytwin
