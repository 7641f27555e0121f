#pragma once
// Progress on stderr: a redrawn bar on a terminal, a plain line every tenth otherwise.

#include <chrono>
#include <string>

namespace citytwin {

class progress_bar {
 public:
  explicit progress_bar(std::string label, bool enabled = true);
  void update(double fraction, const std::string& detail);
  void finish();

 private:
  std::string label_;
  bool enabled_;
  bool terminal_;
  int last_tenth_ = -1;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace citytwin
