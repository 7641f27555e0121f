// Appends numbered batches to a store from several threads until it is killed, printing
// "acked <sequence> <log position>" after each append returns. The crash test kills it with
// SIGKILL mid-write and checks that every batch it saw acknowledged is in the store, whole.

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/store/twin_store.hpp"
#include "tests/engine/store/crash_batch.hpp"

int main(int argc, char** argv) {
  using namespace citytwin;
  if (argc != 2) {
    std::fprintf(stderr, "usage: store_crash_writer <store directory>\n");
    return 2;
  }
  try {
    auto store = twin_store::open(store_options{argv[1]});
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
