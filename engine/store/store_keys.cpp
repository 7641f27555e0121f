#include "engine/store/store_keys.hpp"

#include <stdexcept>

namespace citytwin::store_keys {

namespace {
constexpr std::uint64_t sign_bit = std::uint64_t{1} << 63;
constexpr std::size_t reading_key_head = 1 + 8;          // '\0' window
constexpr std::size_t reading_key_tail = 1 + 8 + 8;      // '\0' time position

std::uint64_t read_be(std::string_view bytes, std::size_t width) {
  if (bytes.size() < width) throw std::invalid_argument("store key or value too short");
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < width; ++i) value = value << 8 | static_cast<unsigned char>(bytes[i]);
  return value;
}
}  // namespace

// One append of all bytes: keys are built per reading, so a push_back per byte shows in profiles.
void append_u32(std::string& out, std::uint32_t value) {
  char bytes[4];
  for (int i = 3; i >= 0; --i, value >>= 8) bytes[i] = static_cast<char>(value & 0xff);
  out.append(bytes, sizeof bytes);
}

void append_u64(std::string& out, std::uint64_t value) {
  char bytes[8];
  for (int i = 7; i >= 0; --i, value >>= 8) bytes[i] = static_cast<char>(value & 0xff);
  out.append(bytes, sizeof bytes);
}

std::uint32_t read_u32(std::string_view bytes) { return static_cast<std::uint32_t>(read_be(bytes, 4)); }
std::uint64_t read_u64(std::string_view bytes) { return read_be(bytes, 8); }

std::string u64_bytes(std::uint64_t value) {
  std::string out;
  append_u64(out, value);
  return out;
}

std::uint64_t time_order(std::int64_t time_ms) { return static_cast<std::uint64_t>(time_ms) ^ sign_bit; }
std::int64_t time_from_order(std::uint64_t order) { return static_cast<std::int64_t>(order ^ sign_bit); }

std::int64_t reading_window(std::int64_t time_ms) {
  const auto window = time_ms / reading_window_ms;
  return time_ms % reading_window_ms < 0 ? window - 1 : window;
}

std::string reading_key(std::string_view twin_id, std::int64_t time_ms, std::uint64_t position) {
  std::string key;
  assign_reading_key(key, twin_id, time_ms, position);
  return key;
}

void assign_reading_key(std::string& out, std::string_view twin_id, std::int64_t time_ms,
                        std::uint64_t position) {
  out.clear();
  out.reserve(reading_key_head + twin_id.size() + reading_key_tail);
  out.push_back('\0');
  append_u64(out, time_order(reading_window(time_ms)));
  out.append(twin_id);
  out.push_back('\0');
  append_u64(out, time_order(time_ms));
  append_u64(out, position);
}

std::string reading_chunk_key(std::int64_t window, std::string_view twin_id, std::uint64_t first_position) {
  std::string key = reading_window_start(window, twin_id);
  key.push_back('\0');
  append_u64(key, first_position);
  return key;
}

readings_entry_key parse_readings_entry_key(std::string_view key) {
  if (key.size() < reading_key_head + 1 + 8 || key[0] != '\0') throw std::invalid_argument("not a readings key");
  const auto rest = key.substr(reading_key_head);
  const auto end_of_id = rest.find('\0');
  if (end_of_id == 0 || end_of_id == std::string_view::npos) throw std::invalid_argument("readings key without a twin id");
  const auto tail = rest.substr(end_of_id + 1);
  readings_entry_key parts;
  parts.window = time_from_order(read_u64(key.substr(1)));
  parts.twin_id = rest.substr(0, end_of_id);
  if (tail.size() == 8) {
    parts.chunk = true;
    parts.position = read_u64(tail);
  } else if (tail.size() == 16) {
    parts.time_ms = time_from_order(read_u64(tail));
    parts.position = read_u64(tail.substr(8));
    if (reading_window(parts.time_ms) != parts.window) throw std::invalid_argument("reading key: its window does not hold its time");
  } else {
    throw std::invalid_argument("readings key of the wrong size");
  }
  return parts;
}

void append_chunk_reading(std::string& out, std::int64_t time_ms, std::uint64_t position, std::string_view record) {
  append_u64(out, time_order(time_ms));
  append_u64(out, position);
  append_u32(out, static_cast<std::uint32_t>(record.size()));
  out.append(record);
}

std::vector<chunk_reading> parse_chunk_value(std::string_view value) {
  std::vector<chunk_reading> readings;
  while (!value.empty()) {
    if (value.size() < 20) throw std::invalid_argument("reading chunk truncated");
    chunk_reading reading{time_from_order(read_u64(value)), read_u64(value.substr(8)), {}};
    const std::size_t record_size = read_u32(value.substr(16));
    if (value.size() - 20 < record_size) throw std::invalid_argument("reading chunk truncated");
    reading.record = value.substr(20, record_size);
    value.remove_prefix(20 + record_size);
    readings.push_back(reading);
  }
  return readings;
}

std::string reading_window_start(std::int64_t window, std::string_view twin_id) {
  std::string key(1, '\0');
  append_u64(key, time_order(window));
  key.append(twin_id);
  return key;
}

std::string legacy_reading_key(std::string_view twin_id, std::int64_t time_ms, std::uint64_t position) {
  std::string key(twin_id);
  key.push_back('\0');
  append_u64(key, time_order(time_ms));
  append_u64(key, position);
  return key;
}

reading_key_parts parse_legacy_reading_key(std::string_view key) {
  if (key.size() < reading_key_tail || key[key.size() - reading_key_tail] != '\0')
    throw std::invalid_argument("reading key too short");
  const auto tail = key.substr(key.size() - 16);
  return {key.substr(0, key.size() - reading_key_tail), time_from_order(read_u64(tail)),
          read_u64(tail.substr(8))};
}

std::string batch_log_key(std::uint64_t first_position) { return u64_bytes(first_position); }

std::uint64_t first_position_of_batch_log_key(std::string_view key) {
  if (key.size() != 8) throw std::invalid_argument("batch log key of the wrong size");
  return read_u64(key);
}

void start_batch_log_value(std::string& out, std::uint32_t count, batch_log_form form) {
  out.clear();
  if (form == batch_log_form::with_records) out.push_back(batch_log_records_tag);
  append_u32(out, count);
}

void append_batch_log_reading(std::string& out, std::string_view twin_id, std::int64_t time_ms) {
  append_u64(out, time_order(time_ms));
  append_u32(out, static_cast<std::uint32_t>(twin_id.size()));
  out.append(twin_id);
}

void append_batch_log_reading(std::string& out, std::string_view twin_id, std::int64_t time_ms,
                              std::string_view record) {
  append_batch_log_reading(out, twin_id, time_ms);
  append_u32(out, static_cast<std::uint32_t>(record.size()));
  out.append(record);
}

bool holds_records(std::string_view batch_log_value) {
  return !batch_log_value.empty() && batch_log_value.front() == batch_log_records_tag;
}

std::uint32_t batch_log_value_count(std::string_view value) {
  if (holds_records(value)) value.remove_prefix(1);
  if (value.size() < 4) throw std::invalid_argument("batch log value too short");
  return read_u32(value);
}

std::vector<batch_log_reading> parse_batch_log_value(std::string_view value) {
  const bool records = holds_records(value);
  const std::size_t count = batch_log_value_count(value);
  value.remove_prefix(records ? 5 : 4);
  const std::size_t fixed = records ? 16 : 12;  // time, id size (and record size) per reading
  if (count > value.size() / fixed) throw std::invalid_argument("batch log value: count larger than its bytes");
  std::vector<batch_log_reading> readings;
  readings.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (value.size() < 12) throw std::invalid_argument("batch log value truncated");
    const auto time_ms = time_from_order(read_u64(value));
    const std::size_t id_size = read_u32(value.substr(8));
    if (value.size() - 12 < id_size) throw std::invalid_argument("batch log value truncated");
    batch_log_reading reading{value.substr(12, id_size), time_ms, {}};
    value.remove_prefix(12 + id_size);
    if (records) {
      if (value.size() < 4) throw std::invalid_argument("batch log value truncated");
      const std::size_t record_size = read_u32(value);
      if (value.size() - 4 < record_size) throw std::invalid_argument("batch log value truncated");
      reading.record = value.substr(4, record_size);
      value.remove_prefix(4 + record_size);
    }
    readings.push_back(reading);
  }
  if (!value.empty()) throw std::invalid_argument("batch log value longer than its count says");
  return readings;
}

std::string append_order_key(std::uint64_t position) {
  std::string key(append_order_prefix);
  append_u64(key, position);
  return key;
}

std::uint64_t position_of_append_order_key(std::string_view key) { return read_u64(key.substr(1)); }

std::string time_order_key(std::int64_t time_ms, std::uint64_t position) {
  std::string key;
  append_u64(key, time_order(time_ms));
  append_u64(key, position);
  return key;
}

time_order_parts parse_time_order_key(std::string_view key) {
  if (key.size() != 16) throw std::invalid_argument("time index key of the wrong size");
  return {time_from_order(read_u64(key)), read_u64(key.substr(8))};
}

std::string snapshot_key(std::uint64_t position, std::int64_t time_ms) {
  std::string key;
  append_u64(key, position);
  append_u64(key, time_order(time_ms));
  return key;
}

snapshot_key_parts parse_snapshot_key(std::string_view key) {
  if (key.size() != 16) throw std::invalid_argument("snapshot key of the wrong size");
  return {read_u64(key), time_from_order(read_u64(key.substr(8)))};
}

std::string user_metadata_key(std::string_view key) { return std::string(user_metadata_prefix).append(key); }

std::string dedup_prefix(std::string_view source) {
  std::string key(dedup_marker_prefix);
  append_u32(key, static_cast<std::uint32_t>(source.size()));
  key.append(source);
  return key;
}

std::string dedup_key(std::string_view source, std::uint64_t sequence) {
  auto key = dedup_prefix(source);
  append_u64(key, sequence);
  return key;
}

dedup_key_parts parse_dedup_key(std::string_view key) {
  const auto fixed = dedup_marker_prefix.size() + 4 + 8;
  if (key.size() < fixed || key.substr(0, dedup_marker_prefix.size()) != dedup_marker_prefix)
    throw std::invalid_argument("not a dedup marker key");
  const std::size_t source_size = read_u32(key.substr(dedup_marker_prefix.size()));
  if (key.size() != fixed + source_size) throw std::invalid_argument("dedup marker key of the wrong size");
  return {key.substr(dedup_marker_prefix.size() + 4, source_size), read_u64(key.substr(key.size() - 8))};
}

std::string resume_token(std::int64_t time_ms, std::uint64_t position) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string bytes;
  append_u64(bytes, time_order(time_ms));
  append_u64(bytes, position);
  std::string token;
  for (unsigned char byte : bytes) {
    token.push_back(digits[byte >> 4]);
    token.push_back(digits[byte & 0xf]);
  }
  return token;
}

time_order_parts parse_resume_token(std::string_view token) {
  auto nibble = [&](char c) -> unsigned {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    throw std::invalid_argument("history: malformed resume token '" + std::string(token) + "'");
  };
  if (token.size() != 32)
    throw std::invalid_argument("history: malformed resume token '" + std::string(token) + "'");
  std::string bytes;
  for (std::size_t i = 0; i < token.size(); i += 2)
    bytes.push_back(static_cast<char>(nibble(token[i]) << 4 | nibble(token[i + 1])));
  return {time_from_order(read_u64(bytes)), read_u64(std::string_view(bytes).substr(8))};
}

}  // namespace citytwin::store_keys
