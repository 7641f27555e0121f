// Appends numbered batches to a store from several threads until it is killed, printing
// "acked <sequence> <log position>" after each append returns. The crash test kills it with
// SIGKILL mid-write and checks that every batch it saw acknowledged is in the store, whole.
// With --purge-then-exit: appends a batch with readings at t=1 s and t=5,000 s, purges below
// 1,000 s, appends one at t=6,000 s, reads a history, then ends at once, closing nothing (as a crash).

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/store/twin_store.hpp"
#include "tests/engine/store/crash_batch.hpp"

int main(int argc, char** argv) {
  using namespace citytwin;
  const bool purge_then_exit = argc == 3 && std::string_view(argv[2]) == "--purge-then-exit";
  if (argc != 2 && !purge_then_exit) {
    std::fprintf(stderr, "usage: store_crash_writer <store directory> [--purge-then-exit]\n");
    return 2;
  }
  try {
    auto store = twin_store::open(store_options{argv[1]});
    if (purge_then_exit) {
      store->append_batch("feed", 1, {stored_reading{"segment/1", 1'000, 7, "purged"},
                                      stored_reading{"segment/1", 5'000'000, 7, "kept"}});
      store->purge_older_than(1'000'000);
      store->append_batch("feed", 2, {stored_reading{"segment/1", 6'000'000, 7, "after the purge"}});
      std::printf("history holds %zu readings\n", store->history("segment/1", INT64_MIN, INT64_MAX, 0).size());
      std::fflush(stdout);
      std::_Exit(0);
    }
    constexpr std::uint64_t threads = 4;
    constexpr std::uint64_t last_sequence = 20000;  // a bound in case nobody kills us
    std::mutex output;
    std::vector<std::jthread> writers;
    for (std::uint64_t t = 0; t < threads; ++t)
      writers.emplace_back([&, t] {
        try {
          for (std::uint64_t sequence = t + 1; sequence <= last_sequence; sequence += threads) {
            const auto result =
                store->append_batch(testing::crash_source, sequence, testing::crash_batch(sequence));
            std::lock_guard lock(output);
            std::printf("acked %llu %llu\n", static_cast<unsigned long long>(sequence),
                        static_cast<unsigned long long>(result.log_position));
            std::fflush(stdout);
          }
        } catch (const std::exception& e) {
          std::fprintf(stderr, "store_crash_writer: %s\n", e.what());
          std::_Exit(1);
        }
      });
  } catch (const std::exception& e) {
    std::fprintf(stderr, "store_crash_writer: %s\n", e.what());
    return 1;
  }
  return 0;
}
