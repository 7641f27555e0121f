#pragma once
// The "now" the fuzz target validates at; the seed corpus places its reading times around it.

#include <cstdint>

namespace citytwin::fuzz {
inline constexpr std::int64_t fixed_now_ms = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
}
