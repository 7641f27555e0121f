#include "engine/store/max_merge_operator.hpp"

#include "engine/store/store_keys.hpp"

namespace citytwin {

bool max_merge_operator::Merge(const rocksdb::Slice& key, const rocksdb::Slice* existing_value,
                               const rocksdb::Slice& value, std::string* new_value,
                               rocksdb::Logger* logger) const {
  if (value.size() != 8 || (existing_value && existing_value->size() != 8))
    return false;  // RocksDB reports corruption
  if (existing_value &&
      store_keys::read_u64(existing_value->ToStringView()) > store_keys::read_u64(value.ToStringView()))
    new_value->assign(existing_value->data(), existing_value->size());
  else
    new_value->assign(value.data(), value.size());
  return true;
}

}  // namespace citytwin
