#pragma once
// Counter-based random numbers: a draw is a pure function of (seed, entity, draw number),
// so results never depend on threads, processes or the order in which entities run.

#include <cstdint>

namespace citytwin {

constexpr std::uint64_t mix64(std::uint64_t z) {  // SplitMix64 finalizer
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr std::uint64_t random_bits(std::uint64_t seed, std::uint64_t entity, std::uint64_t draw) {
  return mix64(mix64(mix64(seed) ^ entity) ^ draw);
}

// Uniform in [0, 1) with 53 random bits.
constexpr double random_unit(std::uint64_t seed, std::uint64_t entity, std::uint64_t draw) {
  return static_cast<double>(random_bits(seed, entity, draw) >> 11) * 0x1.0p-53;
}

}  // namespace citytwin
