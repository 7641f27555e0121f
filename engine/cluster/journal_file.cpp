#include "engine/cluster/journal_file.hpp"

#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#include "engine/cluster/checkpoint_codec.hpp"
#include "engine/cluster/durable_file.hpp"

namespace citytwin {

namespace {

constexpr std::size_t header_bytes = 16;  // body length, checksum

std::string record_of(sim_time start, const window_inputs& inputs) {
  const auto body = encode_checkpoint_part(std::pair<sim_time, window_inputs>{start, inputs});
  const std::uint64_t length = body.size(), sum = byte_checksum(body);
  std::string record(header_bytes, '\0');
  std::memcpy(record.data(), &length, 8);
  std::memcpy(record.data() + 8, &sum, 8);
  return record + body;
}

}  // namespace

void journal_file::append(sim_time start, const window_inputs& inputs) { append_durably(path_, record_of(start, inputs)); }

void journal_file::rewrite(const std::map<sim_time, window_inputs>& kept) {
  std::string bytes;
  for (const auto& [start, inputs] : kept) bytes += record_of(start, inputs);
  write_durably(path_, bytes);
}

std::map<sim_time, window_inputs> journal_file::load(sim_time from) const {
  std::map<sim_time, window_inputs> windows;
  if (!std::filesystem::exists(path_)) return windows;
  const std::string bytes = read_whole_file(path_, "live journal");
  std::size_t at = 0;
  while (at < bytes.size()) {
    std::uint64_t length = 0, sum = 0;
    const bool whole = bytes.size() - at >= header_bytes &&
                       (std::memcpy(&length, bytes.data() + at, 8), std::memcpy(&sum, bytes.data() + at + 8, 8),
                        length <= bytes.size() - at - header_bytes);
    const std::string_view body = whole ? std::string_view(bytes).substr(at + header_bytes, length) : std::string_view{};
    const bool last = !whole || at + header_bytes + length == bytes.size();
    if (!whole || byte_checksum(body) != sum) {
      if (last) break;  // torn by a crash while appending: that window never ran
      throw std::runtime_error("live journal " + path_.string() + " is corrupt at byte " + std::to_string(at) +
                               " (checksum mismatch)");
    }
    try {
      auto [start, inputs] = decode_checkpoint_part<std::pair<sim_time, window_inputs>>(body);
      if (start >= from) windows[start] = std::move(inputs);
    } catch (const std::runtime_error& e) {
      throw std::runtime_error("live journal " + path_.string() + " has an unreadable record at byte " + std::to_string(at) + ": " +
                               e.what());
    }
    at += header_bytes + length;
  }
  return windows;
}

}  // namespace citytwin
