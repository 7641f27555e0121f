#pragma once
// An electric network case as MATPOWER describes it, already in per-unit on the system base:
// the importer applies the file's own unit conversions, so nothing downstream sees kW or ohms.

#include <cstdint>
#include <string>
#include <vector>

namespace citytwin {

enum class bus_kind : std::uint8_t { load = 1, voltage_controlled = 2, slack = 3, isolated = 4 };

struct power_bus {
  std::int64_t number = 0;  // the file's bus number (need not be consecutive)
  bus_kind kind = bus_kind::load;
  double load_mw = 0;       // Pd
  double load_mvar = 0;     // Qd
  double shunt_mw = 0;      // Gs: MW consumed at 1.0 p.u.
  double shunt_mvar = 0;    // Bs: MVAr injected at 1.0 p.u.
  double voltage_pu = 1.0;  // Vm
  double angle_degrees = 0;  // Va
  double base_kv = 0;
  std::size_t line = 0;     // where the row is in the file, for messages
};

struct power_generator {
  std::int64_t bus = 0;
  double p_mw = 0;
  double q_mvar = 0;
  double voltage_setpoint_pu = 1.0;
  bool in_service = true;
  std::size_t line = 0;
};

struct power_branch {
  std::int64_t from_bus = 0;
  std::int64_t to_bus = 0;
  double r_pu = 0;
  double x_pu = 0;
  double b_pu = 0;           // total line charging susceptance
  double rating_mva = 0;     // rateA; 0 means unlimited
  double tap_ratio = 0;      // 0 means a line (ratio 1); otherwise an off-nominal transformer at the from end
  double shift_degrees = 0;
  bool in_service = true;
  std::size_t line = 0;
};

struct power_case {
  std::string name;
  std::string file;
  double base_mva = 100;
  std::vector<power_bus> buses;
  std::vector<power_generator> generators;
  std::vector<power_branch> branches;
};

}  // namespace citytwin
