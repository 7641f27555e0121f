#pragma once
// Byte-exact binary form of a checkpoint's parts (segments, shard, coordinator progress), written
// and read with the same `inspect` functions CAF uses for messages. Floating-point fields are kept
// bit for bit (CAF's own binary serializer normalizes them), so a decoded state equals the original
// and a resumed run equals an uninterrupted one. Byte order is the machine's: a checkpoint is read
// back by the node (data directory) that wrote it.

#include <caf/meta/annotation.hpp>

#include <cstdint>
#include <cstring>
#include <deque>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "actors/road_segment.hpp"
#include "engine/live/logged_inputs.hpp"
#include "engine/runtime/run_progress.hpp"
#include "engine/runtime/simulation_state.hpp"

namespace citytwin {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, road_segment_spec& x) {
  return f(x.id, x.from, x.to, x.length_m, x.freeflow_speed_mps, x.freeflow_time_s, x.capacity_veh_per_h, x.lanes, x.unlimited,
           x.source_id, x.name, x.bpr_b, x.bpr_power, x.toll, x.link_type, x.on_roundabout);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, segment_model_options& x) {
  return f(x.stuck_time, x.hole_speed_kmh, x.priority_passing_speed_kmh);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, circulating_flow& x) {
  return f(x.per_s, x.as_of);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, downstream_room& x) {
  return f(x.segment, x.near_full, x.free, x.eager, x.last_send_window, x.sent_in_last_window, x.ring_lanes,
           x.circulating);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, segment_state& x) {
  return f(x.model, x.pending_handoffs, x.pending_space);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shard_state& x) {
  return f(x.bookings, x.estimates, x.departures);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_cut& x) {
  return f(x.shard, x.segments);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, trip& x) {
  return f(x.vehicle_id, x.origin, x.destination, x.departure);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, travel_times& x) {
  return f(x.ms, x.closure_version, x.serial);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, run_progress& x) {
  return f(x.time, x.next_vehicle_id, x.next_control, x.closed, x.estimates, x.times, x.next_serial, x.closure_version,
           x.last_refresh_epoch, x.departed, x.arrived, x.unroutable_before, x.bookings, x.shard_next, x.in_flight,
           x.departure_sum, x.departed_before, x.arrived_before, x.start_time, x.carried_over, x.unroutable, x.forced_moves,
           x.reroutes, x.activations, x.windows, x.trips);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, logged_control& x) {
  return f(x.control, x.log_position);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, logged_observation& x) {
  return f(x.segment, x.observation, x.log_position);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, window_inputs& x) {
  return f(x.controls, x.observations);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, taken_input& x) {
  return f(x.at, x.log_position);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, taken_inputs& x) {
  return f(x.status, x.capacity, x.observation);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, live_resume_point& x) {
  return f(x.epoch_at_start_ms, x.time, x.pending, x.taken);
}

namespace checkpoint_detail {

template <class T>
struct is_sequence : std::false_type {};
template <class T, class A>
struct is_sequence<std::vector<T, A>> : std::true_type {};
template <class T, class A>
struct is_sequence<std::deque<T, A>> : std::true_type {};

template <class T>
struct is_pair : std::false_type {};
template <class A, class B>
struct is_pair<std::pair<A, B>> : std::true_type {};

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

struct byte_sink {
  static constexpr bool loading = false;
  std::string bytes;
  void raw(void* data, std::size_t n) { bytes.append(static_cast<const char*>(data), n); }
  void count(std::uint64_t& n) { raw(&n, sizeof n); }
};

struct byte_source {
  static constexpr bool loading = true;
  std::string_view bytes;
  std::size_t at = 0;
  void raw(void* data, std::size_t n) {
    if (n > bytes.size() - at) throw std::runtime_error("it ends early (truncated or corrupt)");
    std::memcpy(data, bytes.data() + at, n);
    at += n;
  }
  void count(std::uint64_t& n) {
    raw(&n, sizeof n);
    if (n > bytes.size() - at) throw std::runtime_error("it holds an impossible length (corrupt)");
  }
};

// Walks a value's fields in `inspect` order, writing them to or reading them from `Io`.
template <class Io>
class field_walker {
 public:
  using result_type = void;
  explicit field_walker(Io& io) : io_(io) {}

  template <class... Ts>
  void operator()(Ts&&... xs) {
    (field(xs), ...);
  }

  template <class T>
  void field(T& x) {
    using U = std::remove_cv_t<T>;
    if constexpr (caf::meta::is_annotation<U>::value) {
      // type names and other annotations carry nothing
    } else if constexpr (std::is_arithmetic_v<U> || std::is_enum_v<U>) {
      io_.raw(&x, sizeof(U));
    } else if constexpr (std::is_same_v<U, std::string>) {
      std::uint64_t n = x.size();
      io_.count(n);
      if constexpr (Io::loading) x.resize(n);
      io_.raw(x.data(), n);
    } else if constexpr (std::is_same_v<U, std::vector<bool>>) {
      std::uint64_t n = x.size();
      io_.count(n);
      if constexpr (Io::loading) x.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        bool b = x[i];
        field(b);
        x[i] = b;
      }
    } else if constexpr (is_sequence<U>::value) {
      std::uint64_t n = x.size();
      io_.count(n);
      if constexpr (Io::loading) x.resize(n);
      for (auto& e : x) field(e);
    } else if constexpr (is_pair<U>::value) {
      field(x.first);
      field(x.second);
    } else if constexpr (is_optional<U>::value) {
      bool present = x.has_value();
      field(present);
      if constexpr (Io::loading)
        if (present) x.emplace();
      if (present) field(*x);
    } else {
      inspect(*this, x);
    }
  }

 private:
  Io& io_;
};

}  // namespace checkpoint_detail

template <class T>
std::string encode_checkpoint_part(const T& value) {
  checkpoint_detail::byte_sink sink;
  checkpoint_detail::field_walker<checkpoint_detail::byte_sink> walker(sink);
  walker.field(const_cast<T&>(value));  // the sink only reads it
  return std::move(sink.bytes);
}

// Throws std::runtime_error when the bytes are truncated, corrupt, or longer than one T.
template <class T>
T decode_checkpoint_part(std::string_view bytes) {
  checkpoint_detail::byte_source source{bytes};
  checkpoint_detail::field_walker<checkpoint_detail::byte_source> walker(source);
  T value{};
  walker.field(value);
  if (source.at != bytes.size()) throw std::runtime_error("it has trailing bytes (corrupt)");
  return value;
}

}  // namespace citytwin
