#pragma once
// Every twin the server serves, numbered in one stable order: road segments, then buildings, then
// utility nodes. QueryTwins pages and WatchTwins rounds walk these numbers over one consistent
// pair of views, so they cover every kind with a single cursor.

#include <array>
#include <memory>

#include "engine/frontdoor/twin_filter.hpp"

namespace citytwin {

class twin_scan {
 public:
  twin_scan(const twin_catalog& catalog, std::shared_ptr<const twin_view> traffic, const twin_inputs& inputs);

  std::size_t size() const { return segments_ + buildings_ + nodes_; }
  bool matches(std::size_t ordinal, const v1::TwinFilter& filter) const;
  v1::Twin twin(std::size_t ordinal) const;

  // What a watcher compares to decide a twin changed, rounded so noise stays quiet: speed to the
  // km/h, load to 0.1 kW, voltage to 1e-4 p.u., loading to 1 %.
  using fingerprint = std::array<std::int64_t, 5>;
  fingerprint watched(std::size_t ordinal) const;

  const twin_view& traffic() const { return *traffic_; }

 private:
  const twin_catalog& catalog_;
  std::shared_ptr<const twin_view> traffic_;
  std::shared_ptr<const grid_view> grid_;  // null without a grid
  const twin_inputs& inputs_;
  std::size_t segments_ = 0;
  std::size_t buildings_ = 0;
  std::size_t nodes_ = 0;
};

}  // namespace citytwin
