#pragma once
// The batches the crash test's writer appends, so that the test can tell exactly what a batch
// with a given sequence number must contain.

#include <cstdint>
#include <string>
#include <vector>

#include "engine/store/stored_reading.hpp"

namespace citytwin::testing {

inline constexpr const char* crash_source = "crash-writer";
inline constexpr std::size_t crash_batch_size = 4;

inline std::vector<stored_reading> crash_batch(std::uint64_t sequence) {
  std::vector<stored_reading> batch;
  for (std::size_t i = 0; i < crash_batch_size; ++i)
    batch.push_back({"segment/" + std::to_string(sequence % 5), static_cast<std::int64_t>(sequence * 10 + i),
                     2, "batch " + std::to_string(sequence) + " reading " + std::to_string(i)});
  return batch;
}

}  // namespace citytwin::testing
