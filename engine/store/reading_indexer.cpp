#include "engine/store/reading_indexer.hpp"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <vector>

#include "engine/store/reading_chunks.hpp"
#include "engine/store/store_keys.hpp"

namespace citytwin {

namespace keys = store_keys;

namespace {

// Batches handed in but not yet written may hold this many bytes; past it, hand_in waits (a
// bound on memory if the indexer falls behind: about 3 s of readings at 200,000/s).
constexpr std::size_t max_queued_bytes = 64u << 20;

rocksdb::Slice slice(std::string_view bytes) { return {bytes.data(), bytes.size()}; }

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
      taken_through_(indexed_through),
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
  if (count > 0) in_flight_.emplace(first, count);
  return first;
}

void reading_indexer::abandon(std::uint64_t first) {
  {
    std::lock_guard guard(lock_);
    in_flight_.erase(first);
  }
  work_.notify_one();  // the batch after it may be next now
  progress_.notify_all();
}

void reading_indexer::hand_in(std::uint64_t first, std::string batch_log_value) {
  {
    std::unique_lock guard(lock_);
    // The batch the indexer waits for never waits itself: the queue behind it could not drain.
    progress_.wait(guard, [&] {
      const auto next = next_to_take_locked();
      return queued_bytes_ < max_queued_bytes || failure_ || (next != in_flight_.end() && next->first == first);
    });
    throw_if_failed_locked();
    queued_bytes_ += batch_log_value.size();
    handed_in_.emplace(first, std::move(batch_log_value));
  }
  work_.notify_one();
}

void reading_indexer::wait_until_caught_up() {
  std::unique_lock guard(lock_);
  const std::uint64_t target = last_position_.load();
  ++waiters_;
  work_.notify_one();
  progress_.wait(guard, [&] { return failure_ || in_flight_.empty() || in_flight_.begin()->first > target; });
  --waiters_;
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

std::map<std::uint64_t, std::uint64_t>::const_iterator reading_indexer::next_to_take_locked() const {
  return in_flight_.upper_bound(taken_through_);
}

void reading_indexer::throw_if_failed_locked() const {
  if (failure_) fail_(*failure_, "index readings");
}

void reading_indexer::run() {
  using clock = std::chrono::steady_clock;
  reading_chunks chunks;
  std::vector<std::uint64_t> taken;  // first positions of the batches in `chunks`
  std::size_t taken_bytes = 0;
  clock::time_point due{};  // when what `chunks` holds must be written
  std::vector<std::pair<std::uint64_t, std::string>> fresh;
  for (;;) {
    bool write_now = false;
    std::uint64_t through = 0;
    {
      std::unique_lock guard(lock_);
      const auto can_take = [&] {
        const auto next = next_to_take_locked();
        return next != in_flight_.end() && handed_in_.count(next->first) > 0;
      };
      const auto must_write = [&] { return !taken.empty() && (waiters_ > 0 || stopping_); };
      if (taken.empty())
        work_.wait(guard, [&] { return can_take() || stopping_; });
      else
        work_.wait_until(guard, due, [&] { return can_take() || must_write(); });
      // Only the batch right after those taken: filing in position order keeps every chunk at or
      // below the position written with it.
      for (auto next = next_to_take_locked(); next != in_flight_.end(); next = next_to_take_locked()) {
        auto job = handed_in_.find(next->first);
        if (job == handed_in_.end()) break;
        fresh.emplace_back(job->first, std::move(job->second));
        handed_in_.erase(job);
        taken_through_ = next->first + next->second - 1;
      }
      if (fresh.empty() && taken.empty()) {
        if (stopping_) return;  // what is still handed in waits behind a batch never handed in: the next open files it
        continue;
      }
    }
    if (!fresh.empty()) progress_.notify_all();  // a hand_in may be the next batch now
    for (auto& [first, value] : fresh) {
      if (taken.empty()) due = clock::now() + max_chunk_age;
      chunks.add_batch(first, value);
      taken.push_back(first);
      taken_bytes += value.size();
    }
    fresh.clear();
    {
      std::lock_guard guard(lock_);
      write_now = waiters_ > 0 || stopping_ || chunks.readings() >= max_chunk_readings || clock::now() >= due;
      if (write_now) {
        const auto next = next_to_take_locked();
        through = next == in_flight_.end() ? last_position_.load() : next->first - 1;
      }
    }
    if (!write_now) continue;
    rocksdb::WriteBatch batch;
    chunks.put_into(batch, readings_);
    batch.Put(metadata_, slice(keys::indexed_through_key), keys::u64_bytes(through));
    const auto status = db_->Write(index_write(), &batch);
    {
      std::lock_guard guard(lock_);
      queued_bytes_ -= taken_bytes;
      if (status.ok()) {
        for (const auto first : taken) in_flight_.erase(first);
        written_through_ = std::max(written_through_, through);
      } else {
        failure_ = status;
      }
    }
    taken.clear();
    taken_bytes = 0;
    progress_.notify_all();
    if (!status.ok()) return;
  }
}

std::uint64_t reading_indexer::reindex_after(
    rocksdb::DB* db, rocksdb::ColumnFamilyHandle* batch_log, rocksdb::ColumnFamilyHandle* readings,
    rocksdb::ColumnFamilyHandle* metadata, std::uint64_t indexed_through, std::uint64_t last_position,
    const std::function<void(const rocksdb::Status&, const std::string&)>& check) {
  if (indexed_through >= last_position) return indexed_through;
  const std::string action = "index the readings after position " + std::to_string(indexed_through);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), batch_log));
  // The batch holding position indexed_through + 1 starts at or before it.
  it->SeekForPrev(keys::batch_log_key(indexed_through + 1));
  if (!it->Valid()) it->Seek(keys::batch_log_key(indexed_through + 1));
  reading_chunks chunks;
  auto write = [&](std::uint64_t through) {
    rocksdb::WriteBatch batch;
    chunks.put_into(batch, readings);
    batch.Put(metadata, slice(keys::indexed_through_key), keys::u64_bytes(through));
    check(db->Write(index_write(), &batch), action);
  };
  for (; it->Valid(); it->Next()) {
    const auto first = keys::first_position_of_batch_log_key(it->key().ToStringView());
    chunks.add_batch(first, it->value().ToStringView(), indexed_through);
    if (chunks.readings() >= 8 * max_chunk_readings) {
      const auto count = keys::batch_log_value_count(it->value().ToStringView());
      write(count > 0 ? first + count - 1 : first - 1);
    }
  }
  check(it->status(), action);
  write(last_position);
  return last_position;
}

}  // namespace citytwin
