#pragma once
// A node's checkpoints in its data directory (DIR/checkpoints/). Every node writes its part of
// checkpoint K (its shard's and segments' share of the cut) to part-K.ckpt; node 0 also writes the
// coordinator's progress to progress-K.ckpt and, once every node has confirmed its part, records K
// in complete.json; node 0 of a live cluster also writes its live twin's live-K.ckpt and keeps the
// journal of its windows since (live-journal.log). Only a checkpoint recorded there is ever resumed from; the previous complete one
// is kept until the next completes. Every file is written to a temporary name, flushed to disk
// (fsync) and renamed, so a crash leaves either the old file or the new one, never half of one;
// every file carries the run's fingerprint and a checksum, and a wrong one is refused by name.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "engine/live/logged_inputs.hpp"
#include "engine/runtime/run_progress.hpp"
#include "engine/runtime/simulation_state.hpp"

namespace citytwin {

// One node's share of a checkpoint.
struct checkpoint_part {
  std::uint64_t fingerprint = 0;  // of the run (cluster_fingerprint)
  std::uint32_t node = 0;
  std::uint64_t id = 0;
  sim_time time = 0;
  shard_state shard;
  std::vector<segment_state> segments;  // its own segments, by id
};

struct complete_checkpoint {
  std::uint64_t id = 0;
  sim_time time = 0;
};

class checkpoint_store {
 public:
  // Creates DIR/checkpoints if needed.
  checkpoint_store(const std::filesystem::path& data_dir, std::uint32_t node, std::uint64_t fingerprint);

  [[nodiscard]] const std::filesystem::path& directory() const { return dir_; }
  [[nodiscard]] std::filesystem::path part_path(std::uint64_t id) const;
  [[nodiscard]] std::filesystem::path progress_path(std::uint64_t id) const;
  [[nodiscard]] std::filesystem::path complete_path() const;
  [[nodiscard]] std::filesystem::path live_path(std::uint64_t id) const;
  // Node 0 of a live cluster: each window's inputs since the last complete checkpoint (journal_file.hpp).
  [[nodiscard]] std::filesystem::path journal_path() const;

  // Durable when it returns; throws std::runtime_error naming the file and the reason.
  void save_part(const checkpoint_part& part) const;
  // Throws std::runtime_error naming the file when it is missing, corrupt, or of another node or run.
  [[nodiscard]] checkpoint_part load_part(std::uint64_t id) const;

  // Node 0.
  void save_progress(std::uint64_t id, const run_progress& progress) const;
  [[nodiscard]] run_progress load_progress(std::uint64_t id) const;
  // Node 0 of a live cluster: what its live twin resumes from (live_resume_point); nullopt when
  // checkpoint `id` has none (a batch run's).
  void save_live(std::uint64_t id, const live_resume_point& point) const;
  [[nodiscard]] std::optional<live_resume_point> load_live(std::uint64_t id) const;
  void mark_complete(const complete_checkpoint& checkpoint) const;
  // The checkpoint to resume from: nullopt when none was completed for this run (a different
  // fingerprint means another city, scenario, demand or partition: that checkpoint is ignored).
  [[nodiscard]] std::optional<complete_checkpoint> last_complete() const;

  // Deletes the parts and progress of checkpoints before `id` (kept: `id` and later).
  void drop_before(std::uint64_t id) const;
  // The run finished: deletes every checkpoint file of this node, and the live journal.
  void clear() const;

 private:
  template <class T>
  [[nodiscard]] T load_stamped(const std::filesystem::path& path, std::uint64_t id) const;

  std::filesystem::path dir_;
  std::uint32_t node_;
  std::uint64_t fingerprint_;
};

}  // namespace citytwin
