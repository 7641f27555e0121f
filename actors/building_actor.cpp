#include "actors/building_actor.hpp"

#include "engine/grid/load_profile.hpp"

namespace citytwin {

caf::behavior building_actor(building_actor_type* self, const building_spec* spec, double base_mva) {
  self->state.spec = spec;
  self->state.base_mva = base_mva;
  return {
      [=](step_atom, sim_time time_of_day, sim_time step) {
        auto& st = self->state;
        // The step that just ended ran on the supply state published after the last solve.
        if (!st.supplied) {
          const double hours = to_seconds(step) / 3600.0;
          st.unserved_kwh += st.load_kw * hours;
          st.hours_without_power += hours;
        }
        if (st.metered) {
          st.load_kw = st.metered_kw;
          st.load_kvar = st.metered_kvar;
        } else {
          st.load_kw = load_kw_at(*st.spec, time_of_day);
          st.load_kvar = reactive_kvar(st.load_kw, st.spec->power_factor);
        }
        const double per_unit = 1.0 / (1000.0 * st.base_mva);
        return building_load{st.load_kw * per_unit, st.load_kvar * per_unit};
      },
      [=](supply_atom, bool supplied, double voltage_pu) {
        self->state.supplied = supplied;
        self->state.voltage_pu = voltage_pu;
        return true;
      },
      [=](meter_atom, double kw, double kvar) {
        auto& st = self->state;
        st.metered = kw >= 0;
        st.metered_kw = kw;
        st.metered_kvar = kvar;
      },
      [=](get_state_atom) {
        const auto& st = self->state;
        return building_snapshot{st.spec->id,  st.load_kw,      st.load_kvar,          st.supplied,
                                 st.voltage_pu, st.unserved_kwh, st.hours_without_power, st.metered};
      },
  };
}

}  // namespace citytwin
