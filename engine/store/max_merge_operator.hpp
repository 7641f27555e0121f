#pragma once
// A RocksDB merge operator keeping the largest of 8-byte big-endian numbers. Concurrent appends
// commit in any order; merging "at least this" instead of putting a value means a counter (the
// last log position, a source's highest sequence) never goes back when a later-numbered batch
// happens to commit first.

#include <rocksdb/merge_operator.h>

namespace citytwin {

class max_merge_operator final : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& key, const rocksdb::Slice* existing_value, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger* logger) const override;
  const char* Name() const override { return "citytwin.max_u64"; }
};

}  // namespace citytwin
