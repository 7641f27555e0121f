#pragma once
// A radial distribution network as trees rooted at its source (reference) buses: what each utility node actor
// needs to take part in the backward/forward sweep. Built from a power_case; meshed cases, and
// sources joined by in-service branches, are rejected with the branch that closes the loop.

#include <complex>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/power/power_case.hpp"

namespace citytwin {

using complex_pu = std::complex<double>;
inline constexpr std::uint32_t no_parent = UINT32_MAX;

struct radial_node {
  std::int64_t bus_number = 0;
  std::uint32_t parent = no_parent;
  std::vector<std::uint32_t> children;  // in branch-file order, which fixes the summation order
  complex_pu load;                      // constant power drawn, net of local generation (p.u.)
  complex_pu shunt_admittance;          // constant admittance to ground (p.u.)
  // The branch from the parent, seen as series impedance plus an ideal transformer at its
  // from end (MATPOWER's branch model) and half the charging susceptance at each end.
  complex_pu impedance;
  complex_pu tap{1, 0};
  bool tap_at_parent = true;  // the branch's from end is the parent
  double charging_half = 0;
  double rating_pu = 0;  // 0 = unlimited
  std::size_t branch = SIZE_MAX;
  complex_pu source_voltage{1, 0};  // roots only: the slack bus's voltage setpoint
};

struct radial_network {
  std::string name;
  double base_mva = 1;
  std::vector<radial_node> nodes;            // one tree per source; parents precede children
  std::vector<std::uint32_t> roots;          // the source (reference) buses, in file order
  std::vector<std::int64_t> isolated_buses;  // not connected to the slack bus by in-service branches
  std::vector<std::string> warnings;         // modelling simplifications the user should know about
};

// Throws std::invalid_argument naming the case file and the offending bus or branch line.
radial_network build_radial_network(const power_case& pc);

}  // namespace citytwin
