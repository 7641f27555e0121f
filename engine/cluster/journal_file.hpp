#pragma once
// Node 0's live journal on disk (DIR/checkpoints/live-journal.log): one record per window that took
// inputs since the last complete checkpoint, each appended and flushed (fdatasync) before its window
// runs. A record is its length, a checksum and the window's start and inputs (checkpoint_codec.hpp).
// A crash while appending leaves a torn last record, which is dropped on loading: its window never
// ran. Damage anywhere else is refused by name.

#include <filesystem>
#include <map>

#include "engine/live/logged_inputs.hpp"

namespace citytwin {

class journal_file final : public journal_log {
 public:
  explicit journal_file(std::filesystem::path path) : path_(std::move(path)) {}
  void append(sim_time start, const window_inputs& inputs) override;
  void rewrite(const std::map<sim_time, window_inputs>& kept) override;

  // The windows recorded at or after `from`; none when the file does not exist.
  // Throws std::runtime_error naming the file when a record other than the last is damaged.
  [[nodiscard]] std::map<sim_time, window_inputs> load(sim_time from) const;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace citytwin
