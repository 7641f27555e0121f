#include "engine/cluster/checkpoint_store.hpp"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "engine/cluster/checkpoint_codec.hpp"
#include "engine/cluster/durable_file.hpp"

namespace citytwin {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, checkpoint_part& x) {
  return f(x.fingerprint, x.node, x.id, x.time, x.shard, x.segments);
}

namespace {

// The number is the layout of what follows: 2 added roundabout yielding to the segments' state.
constexpr std::string_view magic_prefix = "CITYTWIN-CHECKPOINT-";
constexpr std::string_view magic = "CITYTWIN-CHECKPOINT-2\n";
constexpr int complete_format = 1;

std::string read_all(const std::filesystem::path& path) { return read_whole_file(path, "checkpoint file"); }

// magic, checksum of the body, body.
std::string frame(const std::string& body) {
  std::string out(magic);
  const auto sum = byte_checksum(body);
  out.append(reinterpret_cast<const char*>(&sum), sizeof sum);
  out += body;
  return out;
}

std::string_view unframe(const std::filesystem::path& path, std::string_view bytes) {
  if (bytes.substr(0, magic.size()) != magic || bytes.size() < magic.size() + 8) {
    if (bytes.substr(0, magic_prefix.size()) == magic_prefix)
      throw std::runtime_error("checkpoint file " + path.string() + " was written by another version of CityTwin (" +
                               std::string(bytes.substr(0, std::min<std::size_t>(bytes.find('\n'), 40))) + ", this one reads " +
                               std::string(magic.substr(0, magic.size() - 1)) + "): start the run afresh");
    throw std::runtime_error("checkpoint file " + path.string() + " is not a checkpoint (wrong header)");
  }
  std::uint64_t sum = 0;
  std::memcpy(&sum, bytes.data() + magic.size(), 8);
  const auto body = bytes.substr(magic.size() + 8);
  if (byte_checksum(body) != sum) throw std::runtime_error("checkpoint file " + path.string() + " is corrupt (checksum mismatch)");
  return body;
}

// Node 0's own share of checkpoint `id` (its progress, its live twin's resume point), stamped with
// the run's fingerprint and the id, which loading checks.
template <class T>
struct stamped {
  std::uint64_t fingerprint = 0;
  std::uint64_t id = 0;
  T value;
};

template <class Inspector, class T>
typename Inspector::result_type inspect(Inspector& f, stamped<T>& x) {
  return f(x.fingerprint, x.id, x.value);
}

template <class T>
T decode_file(const std::filesystem::path& path) {
  const auto bytes = read_all(path);
  try {
    return decode_checkpoint_part<T>(unframe(path, bytes));
  } catch (const std::runtime_error& e) {
    if (std::string(e.what()).rfind("checkpoint file", 0) == 0) throw;
    throw std::runtime_error("checkpoint file " + path.string() + ": " + e.what());
  }
}

std::string hex(std::uint64_t v) { return fmt::format("{:016x}", v); }

// The checkpoint id in a file name "<prefix>-<id>.ckpt", if it is one.
std::optional<std::uint64_t> id_in(const std::string& name, const std::string& prefix) {
  if (name.rfind(prefix + "-", 0) != 0 || name.size() < prefix.size() + 7 || name.substr(name.size() - 5) != ".ckpt")
    return std::nullopt;
  try {
    return std::stoull(name.substr(prefix.size() + 1, name.size() - prefix.size() - 6));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

checkpoint_store::checkpoint_store(const std::filesystem::path& data_dir, std::uint32_t node, std::uint64_t fingerprint)
    : dir_(data_dir / "checkpoints"), node_(node), fingerprint_(fingerprint) {
  std::error_code error;
  std::filesystem::create_directories(dir_, error);
  if (error) throw std::runtime_error("cannot create checkpoint directory " + dir_.string() + ": " + error.message());
}

std::filesystem::path checkpoint_store::part_path(std::uint64_t id) const { return dir_ / fmt::format("part-{}.ckpt", id); }
std::filesystem::path checkpoint_store::progress_path(std::uint64_t id) const { return dir_ / fmt::format("progress-{}.ckpt", id); }
std::filesystem::path checkpoint_store::complete_path() const { return dir_ / "complete.json"; }
std::filesystem::path checkpoint_store::live_path(std::uint64_t id) const { return dir_ / fmt::format("live-{}.ckpt", id); }
std::filesystem::path checkpoint_store::journal_path() const { return dir_ / "live-journal.log"; }

void checkpoint_store::save_part(const checkpoint_part& part) const {
  write_durably(part_path(part.id), frame(encode_checkpoint_part(part)));
}

checkpoint_part checkpoint_store::load_part(std::uint64_t id) const {
  const auto path = part_path(id);
  auto part = decode_file<checkpoint_part>(path);
  if (part.fingerprint != fingerprint_)
    throw std::runtime_error("checkpoint file " + path.string() + " belongs to another run (city, scenario or partition changed)");
  if (part.node != node_ || part.id != id)
    throw std::runtime_error("checkpoint file " + path.string() + " holds checkpoint " + std::to_string(part.id) + " of node " +
                             std::to_string(part.node) + ", not checkpoint " + std::to_string(id) + " of node " +
                             std::to_string(node_));
  return part;
}

template <class T>
T checkpoint_store::load_stamped(const std::filesystem::path& path, std::uint64_t id) const {
  auto stored = decode_file<stamped<T>>(path);
  if (stored.fingerprint != fingerprint_ || stored.id != id)
    throw std::runtime_error("checkpoint file " + path.string() + " belongs to another run or checkpoint");
  return std::move(stored.value);
}

void checkpoint_store::save_progress(std::uint64_t id, const run_progress& progress) const {
  write_durably(progress_path(id), frame(encode_checkpoint_part(stamped<run_progress>{fingerprint_, id, progress})));
}

run_progress checkpoint_store::load_progress(std::uint64_t id) const { return load_stamped<run_progress>(progress_path(id), id); }

void checkpoint_store::save_live(std::uint64_t id, const live_resume_point& point) const {
  write_durably(live_path(id), frame(encode_checkpoint_part(stamped<live_resume_point>{fingerprint_, id, point})));
}

std::optional<live_resume_point> checkpoint_store::load_live(std::uint64_t id) const {
  if (!std::filesystem::exists(live_path(id))) return std::nullopt;
  return load_stamped<live_resume_point>(live_path(id), id);
}

void checkpoint_store::mark_complete(const complete_checkpoint& checkpoint) const {
  const nlohmann::json j{{"format", complete_format},
                         {"id", checkpoint.id},
                         {"time_ms", checkpoint.time},
                         {"time", format_clock(checkpoint.time)},
                         {"fingerprint", hex(fingerprint_)}};
  write_durably(complete_path(), j.dump() + "\n");
}

std::optional<complete_checkpoint> checkpoint_store::last_complete() const {
  const auto path = complete_path();
  if (!std::filesystem::exists(path)) return std::nullopt;
  std::ifstream in(path);
  try {
    const auto j = nlohmann::json::parse(in);
    if (j.at("format").get<int>() != complete_format) throw std::runtime_error("format must be " + std::to_string(complete_format));
    if (j.at("fingerprint").get<std::string>() != hex(fingerprint_)) return std::nullopt;
    return complete_checkpoint{j.at("id").get<std::uint64_t>(), j.at("time_ms").get<sim_time>()};
  } catch (const std::exception& e) {
    throw std::runtime_error(path.string() + " is unreadable (" + e.what() + "): remove it to start the run afresh");
  }
}

void checkpoint_store::drop_before(std::uint64_t id) const {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, error)) {
    const auto name = entry.path().filename().string();
    auto found = id_in(name, "part");
    if (!found) found = id_in(name, "progress");
    if (!found) found = id_in(name, "live");
    if (found && *found < id) std::filesystem::remove(entry.path(), error);
  }
}

void checkpoint_store::clear() const {
  std::error_code error;
  std::filesystem::remove(complete_path(), error);  // first: no half-deleted checkpoint is ever resumed
  drop_before(UINT64_MAX);
  std::filesystem::remove(journal_path(), error);
}

}  // namespace citytwin
