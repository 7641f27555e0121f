#pragma once
// A building as a CAF actor. It owns its twin state: what it draws now (from its type's daily
// profile, or from its meter while a reading is fresh), whether it is supplied, and the energy
// it could not get. Its feeding utility node asks for its load before each load flow and tells
// it afterwards whether power reaches it.

#include <caf/all.hpp>

#include "engine/grid/building_stock.hpp"
#include "engine/power/power_messages.hpp"

namespace citytwin {

struct building_actor_state {
  static inline const char* name = "building";
  const building_spec* spec = nullptr;
  double base_mva = 1;
  double load_kw = 0;
  double load_kvar = 0;
  bool metered = false;
  double metered_kw = 0;
  double metered_kvar = 0;
  bool supplied = true;
  double voltage_pu = 1;
  double unserved_kwh = 0;
  double hours_without_power = 0;
};

using building_actor_type = caf::stateful_actor<building_actor_state>;

// Handles: step_atom (time of day, step length) -> building_load for the coming step, after
// counting the step that just ended as unserved if it had no power; supply_atom (supplied,
// voltage); meter_atom (kW, kVAr) sets the load until cleared with a negative kW;
// get_state_atom -> building_snapshot.
caf::behavior building_actor(building_actor_type* self, const building_spec* spec, double base_mva);

}  // namespace citytwin
