#include "clients/cli/progress_bar.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fmt/format.h>

namespace citytwin {

namespace {
constexpr int bar_width = 30;
constexpr auto redraw_interval = std::chrono::milliseconds(100);
}  // namespace

progress_bar::progress_bar(std::string label, bool enabled)
    : label_(std::move(label)), enabled_(enabled), terminal_(isatty(fileno(stderr)) != 0) {}

void progress_bar::update(double fraction, const std::string& detail) {
  if (!enabled_) return;
  fraction = std::clamp(fraction, 0.0, 1.0);
  if (terminal_) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_draw_ < redraw_interval) return;
    last_draw_ = now;
    int filled = static_cast<int>(fraction * bar_width);
    fmt::print(stderr, "\r{} [{}{}] {:3.0f}% {}\033[K", label_, std::string(filled, '#'),
               std::string(bar_width - filled, '.'), fraction * 100, detail);
    std::fflush(stderr);
    return;
  }
  int tenth = static_cast<int>(fraction * 10);
  if (tenth == last_tenth_) return;
  last_tenth_ = tenth;
  fmt::print(stderr, "{} {:3.0f}% {}\n", label_, fraction * 100, detail);
}

void progress_bar::finish() {
  if (enabled_ && terminal_) fmt::print(stderr, "\n");
}

}  // namespace citytwin
