#include "engine/frontdoor/ingest_assimilation.hpp"

#include "engine/analytics/feed_analytics.hpp"
#include "engine/frontdoor/reading_application.hpp"

namespace citytwin {

ingest_assimilation::ingest_assimilation(live_twin& twin, const twin_inputs& inputs, std::size_t max_queued_batches)
    : twin_(twin), inputs_(inputs), max_queued_(max_queued_batches == 0 ? 1 : max_queued_batches),
      worker_([this] { run(); }) {}

ingest_assimilation::~ingest_assimilation() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void ingest_assimilation::submit(assimilation_batch batch) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return queue_.size() < max_queued_ || stopping_; });
  queue_.push_back(std::move(batch));
  ++submitted_;
  lock.unlock();
  changed_.notify_all();
}

void ingest_assimilation::drain() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = submitted_;
  changed_.wait(lock, [&] { return applied_ >= target; });
}

void ingest_assimilation::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return !queue_.empty() || stopping_; });
    if (queue_.empty()) return;  // stopping, and everything submitted is applied
    assimilation_batch batch = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    changed_.notify_all();  // room for a waiting submitter
    apply(batch);
    lock.lock();
    ++applied_;
    changed_.notify_all();
  }
}

void ingest_assimilation::apply(assimilation_batch& batch) {
  std::vector<double> trust(batch.readings.size(), 1.0);
  if (batch.analytics != nullptr && !batch.readings.empty()) {
    for (std::size_t i = 0; i < batch.readings.size(); ++i) batch.readings[i].twin_id = batch.twin_ids[i];
    trust = batch.analytics->assess(batch.source, batch.readings);
  }
  for (const segment_update& u : batch.updates)
    send_to_simulation(u.segment, u.ahead ? *u.ahead : inputs_.get(u.segment), twin_, u.events, u.observations,
                       u.reading ? trust[*u.reading] : 1.0);
}

}  // namespace citytwin
