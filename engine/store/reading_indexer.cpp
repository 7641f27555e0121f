#include "engine/store/reading_indexer.hpp"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <vector>

#include "engine/store/store_keys.hpp"

namespace citytwin {

namespace keys = store_keys;

namespace {

// Batches handed in but not yet indexed may hold this many bytes; past it, hand_in waits (a
// bound on memory if the indexer falls behind: about 3 s of readings at 200,000/s).
constexpr std::size_t max_queued_bytes = 64u << 20;

rocksdb::Slice slice(std::string_view bytes) { return {bytes.data(), bytes.size()}; }

// Adds the puts of one batch_log entry's readings after `indexed_through`; none for a listing
// (written before format 4: its readings went into `readings` with it).
void add_index_puts(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* readings, std::uint64_t first,
                    std::string_view value, std::uint64_t indexed_through, std::string& key) {
  if (!keys::holds_records(value)) return;
  const auto entries = keys::parse_batch_log_value(value);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (first + i <= indexed_through) continue;
    keys::assign_reading_key(key, entries[i].twin_id, entries[i].time_ms, first + i);
    batch.Put(readings, key, slice(entries[i].record));
  }
}

rocksdb::WriteOptions index_write() {
  rocksdb::WriteOptions options;
  options.disableWAL = true;  // batch_log holds every reading durably; an open indexes what a crash lost
  return options;
}

}  // namespace

reading_indexer::reading_indexer(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* readings,
                                 rocksdb::ColumnFamilyHandle* metadata, std::atomic<std::uint64_t>& last_position,
                                 std::uint64_t indexed_through,
                                 std::function<void(const rocksdb::Status&, const std::string&)> fail)
    : db_(db),
      readings_(readings),
      metadata_(metadata),
      last_position_(last_position),
      fail_(std::move(fail)),
      written_through_(indexed_through) {
  thread_ = std::thread([this] { run(); });
}

reading_indexer::~reading_indexer() {
  {
    std::lock_guard guard(lock_);
    stopping_ = true;
  }
  work_.notify_all();
  thread_.join();
}

std::uint64_t reading_indexer::reserve(std::uint64_t count) {
  std::lock_guard guard(lock_);
  throw_if_failed_locked();
  const std::uint64_t first = last_position_.fetch_add(count) + 1;
  if (count > 0) in_flight_.insert(first);
  return first;
}

void reading_indexer::abandon(std::uint64_t first) {
  {
    std::lock_guard guard(lock_);
    in_flight_.erase(first);
  }
  progress_.notify_all();
}

void reading_indexer::hand_in(std::uint64_t first, std::string batch_log_value) {
  {
    std::unique_lock guard(lock_);
    progress_.wait(guard, [&] { return queued_bytes_ < max_queued_bytes || failure_; });
    throw_if_failed_locked();
    queued_bytes_ += batch_log_value.size();
    jobs_.push_back({first, std::move(batch_log_value)});
  }
  work_.notify_one();
}

void reading_indexer::wait_until_caught_up() {
  std::unique_lock guard(lock_);
  const std::uint64_t target = last_position_.load();
  progress_.wait(guard, [&] { return failure_ || in_flight_.empty() || *in_flight_.begin() > target; });
  throw_if_failed_locked();
}

std::uint64_t reading_indexer::make_durable() {
  wait_until_caught_up();
  std::uint64_t durable;
  {
    std::lock_guard guard(lock_);
    durable = written_through_;
  }
  rocksdb::FlushOptions options;
  options.wait = true;
  fail_(db_->Flush(options, std::vector<rocksdb::ColumnFamilyHandle*>{readings_, metadata_}), "flush the reading index");
  return durable;
}

void reading_indexer::throw_if_failed_locked() const {
  if (failure_) fail_(*failure_, "index readings");
}

void reading_indexer::run() {
  std::string key;
  for (;;) {
    job taken;
    std::uint64_t through;
    {
      std::unique_lock guard(lock_);
      work_.wait(guard, [&] { return !jobs_.empty() || stopping_; });
      if (jobs_.empty()) return;  // stopping, with everything handed in indexed
      // One batch per write: the writes share RocksDB's write queue with the acks' writes, and a
      // merged write of several batches held the acks behind it (bench/RESULTS.md).
      taken = std::move(jobs_.front());
      jobs_.pop_front();
      // Every position before the first batch still in flight (other than this one) is indexed
      // once this write is done; reserve() fills in_flight_ under this lock.
      auto next = in_flight_.begin();
      if (next != in_flight_.end() && *next == taken.first) ++next;
      through = next == in_flight_.end() ? last_position_.load() : *next - 1;
    }
    rocksdb::WriteBatch batch;
    add_index_puts(batch, readings_, taken.first, taken.value, 0, key);
    batch.Put(metadata_, slice(keys::indexed_through_key), keys::u64_bytes(through));
    const auto status = db_->Write(index_write(), &batch);
    {
      std::lock_guard guard(lock_);
      queued_bytes_ -= taken.value.size();
      if (status.ok()) {
        in_flight_.erase(taken.first);
        written_through_ = std::max(written_through_, through);
      } else {
        failure_ = status;
      }
    }
    progress_.notify_all();
    if (!status.ok()) return;
  }
}

std::uint64_t reading_indexer::reindex_after(
    rocksdb::DB* db, rocksdb::ColumnFamilyHandle* batch_log, rocksdb::ColumnFamilyHandle* readings,
    rocksdb::ColumnFamilyHandle* metadata, std::uint64_t indexed_through, std::uint64_t last_position,
    const std::function<void(const rocksdb::Status&, const std::string&)>& check) {
  if (indexed_through >= last_position) return indexed_through;
  constexpr std::size_t puts_per_write = 10'000;
  const std::string action = "index the readings after position " + std::to_string(indexed_through);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), batch_log));
  // The batch holding position indexed_through + 1 starts at or before it.
  it->SeekForPrev(keys::batch_log_key(indexed_through + 1));
  if (!it->Valid()) it->Seek(keys::batch_log_key(indexed_through + 1));
  rocksdb::WriteBatch batch;
  std::string key;
  auto write = [&](std::uint64_t through) {
    batch.Put(metadata, slice(keys::indexed_through_key), keys::u64_bytes(through));
    check(db->Write(index_write(), &batch), action);
    batch.Clear();
  };
  for (; it->Valid(); it->Next()) {
    const auto first = keys::first_position_of_batch_log_key(it->key().ToStringView());
    add_index_puts(batch, readings, first, it->value().ToStringView(), indexed_through, key);
    if (batch.Count() >= puts_per_write) {
      const auto count = keys::batch_log_value_count(it->value().ToStringView());
      write(count > 0 ? first + count - 1 : first - 1);
    }
  }
  check(it->status(), action);
  write(last_position);
  return last_position;
}

}  // namespace citytwin
