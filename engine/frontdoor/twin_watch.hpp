#pragma once
// WatchTwins' stream once the caller is authorized, over any source of the live twin's published
// views: the live twin itself at node 0 (or `serve`), node 0's views mirrored at the other nodes of
// a live cluster. One implementation, so a watcher gets the same stream at any node.

#include <cstdint>

#include "citytwin/v1/twin.grpc.pb.h"
#include "engine/frontdoor/twin_conversion.hpp"
#include "engine/live/twin_inputs.hpp"
#include "engine/live/twin_view.hpp"

namespace citytwin {

struct watch_source {
  const twin_catalog& catalog;
  const twin_inputs& inputs;  // grid readings
  const published_views& views;
  std::size_t max_views_behind;  // a watcher further behind is dropped (RESOURCE_EXHAUSTED)
};

// Streams the initial state (if asked) then each change of a matching twin until the client
// cancels; `sent` counts the changes written. UNAVAILABLE when the twin stops on an error or its
// views cannot be had (the reason in the message).
grpc::Status watch_twins(const watch_source& source, grpc::ServerContext& context, const v1::WatchTwinsRequest& request,
                         grpc::ServerWriter<v1::TwinChange>& writer, std::uint64_t& sent);

}  // namespace citytwin
