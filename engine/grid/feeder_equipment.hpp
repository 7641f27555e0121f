#pragma once
// The equipment catalogue and planning limits the feeder builder designs with, each value with its source.

#include <array>

namespace citytwin {

// System base for the per-unit case (distribution cases such as IEEE 33-bus use 10 MVA as well).
inline constexpr double grid_base_mva = 10;
inline constexpr double medium_voltage_kv =
    11;                                        // urban MV distribution (UK/IEC 11 kV; Germany uses 10-20 kV)
inline constexpr double low_voltage_kv = 0.4;  // 400 V three-phase, IEC 60038

// MV feeder cable: 3-core 185 mm2 aluminium XLPE, 6.35/11 kV, laid direct in ground. Typical datasheet values
// (IEC 60502-2 constructions): AC resistance at 90 C about 0.21 ohm/km, reactance about 0.10 ohm/km,
// current rating about 330 A in ground -> sqrt(3) x 11 kV x 330 A = 6.3 MVA. Charging (~0.3 uF/km,
// ~11 kvar/km at 11 kV) is left out. A feeder is planned to carry at most 70 % of its rating, leaving room
// for losses, the coincident peak being higher than planned, and picking up a neighbour's load.
struct cable_type {
  const char* name;
  double r_ohm_per_km;
  double x_ohm_per_km;
  double rating_mva;
};
inline constexpr cable_type mv_feeder_cable{"3x185 mm2 Al XLPE 11 kV", 0.211, 0.10, 6.3};
inline constexpr double feeder_planning_utilisation = 0.7;
inline constexpr double shortest_cable_m = 1;  // coincident road nodes still get a (tiny) cable

// 11/0.4 kV distribution transformers, the standard ratings of EN 50588-1 / IEC 60076. Load losses are the
// Tier 1 maxima of Commission Regulation (EU) No 548/2014 (Ak), short-circuit impedance 4 % up to 630 kVA and
// 6 % at 1000 kVA (the usual EN 50588-1 values). Resistance = load losses / rating; reactance the rest of uk.
struct transformer_type {
  double rating_kva;
  double load_losses_w;
  double impedance_percent;  // uk
};
inline constexpr std::array<transformer_type, 6> distribution_transformers{{
    {100, 1'750, 4},
    {160, 2'350, 4},
    {250, 3'250, 4},
    {400, 4'600, 4},
    {630, 6'500, 4},
    {1'000, 10'500, 6},
}};
// A transformer is chosen so the connected peak is at most 80 % of its rating; above what the largest unit
// takes, units of the largest size are paralleled (modelled as one branch of n times the rating).
inline constexpr double transformer_planning_utilisation = 0.8;

// Primary substations placed where none is mapped: one per 20 MVA of connected peak, the firm capacity of a
// common two-transformer 2 x 20 MVA (110/11 kV or 33/11 kV) station.
inline constexpr double substation_planning_mva = 20;
// The substation's on-load tap changer holds its MV busbar a little above nominal to offset feeder drop.
inline constexpr double source_voltage_pu = 1.02;
// Design rule for voltage: the linearised drop (sum of R P + X Q along the path, losses ignored) may bring
// no low-voltage bus below this; the margin to the 0.9 p.u. limit covers losses and the approximation.
inline constexpr double design_min_voltage_pu = 0.95;
// Where a feeder cannot hold voltage, a substation is added near its weakest bus, at most this many times.
inline constexpr int max_added_substations = 400;
// A road node's traffic signals take supply from the nearest transformer along the roads within this
// distance (a typical LV feeder reach); farther nodes have no LV supply modelled.
inline constexpr double lv_supply_reach_m = 500;

}  // namespace citytwin
