#include "engine/power/matpower_importer.hpp"

#include <cmath>
#include <fmt/format.h>
#include <set>

#include "engine/import/import_error.hpp"
#include "engine/power/matlab_workspace.hpp"

namespace citytwin {

namespace {

// Column names from MATPOWER's caseformat, for messages.
const char* const bus_columns[] = {"bus_i", "type", "Pd", "Qd", "Gs", "Bs", "area", "Vm", "Va", "baseKV", "zone", "Vmax", "Vmin"};
const char* const gen_columns[] = {"bus", "Pg", "Qg", "Qmax", "Qmin", "Vg", "mBase", "status"};
const char* const branch_columns[] = {"fbus", "tbus", "r", "x", "b", "rateA", "rateB", "rateC", "ratio", "angle", "status"};

class case_reader {
 public:
  case_reader(const matlab_workspace& ws, std::string file) : ws_(ws), file_(std::move(file)) {}

  power_case read() {
    power_case pc;
    pc.file = file_;
    pc.name = ws_.function_name();
    if (const std::string* version = ws_.text_field("version"); version && *version != "2")
      throw import_error(file_, "", "mpc.version",
                         fmt::format("case format version {} is not supported; save it as version 2", *version));
    const matlab_matrix* base = ws_.field("baseMVA");
    if (!base || !base->is_scalar()) throw import_error(file_, "", "mpc.baseMVA", "missing or not a number");
    pc.base_mva = base->values[0];
    if (!(pc.base_mva > 0) || !std::isfinite(pc.base_mva))
      throw import_error(file_, "", "mpc.baseMVA", fmt::format("must be positive, is {}", pc.base_mva));
    read_buses(pc);
    read_generators(pc);
    read_branches(pc);
    return pc;
  }

 private:
  const matlab_matrix& table(const std::string& name, std::size_t min_columns, const char* const* columns) {
    const matlab_matrix* m = ws_.field(name);
    if (!m || m->rows == 0) throw import_error(file_, "", "mpc." + name, "missing or empty table");
    if (m->cols < min_columns)
      throw import_error(file_, location(*m, 0), "mpc." + name,
                         fmt::format("has {} columns, needs at least {} ({} ... {})", m->cols, min_columns, columns[0],
                                     columns[min_columns - 1]));
    return *m;
  }

  static std::string location(const matlab_matrix& m, std::size_t row) {
    if (row < m.row_lines.size()) return fmt::format("line {}", m.row_lines[row]);
    return fmt::format("row {}", row + 1);
  }

  [[noreturn]] void fail(const std::string& table_name, const matlab_matrix& m, std::size_t row, const char* column,
                         const std::string& reason) const {
    throw import_error(file_, location(m, row), fmt::format("mpc.{} {}", table_name, column), reason);
  }

  double finite(const std::string& table_name, const matlab_matrix& m, std::size_t row, std::size_t col,
                const char* const* columns) const {
    const double v = m.at(row, col);
    if (!std::isfinite(v)) fail(table_name, m, row, columns[col], fmt::format("must be a finite number, is {}", v));
    return v;
  }

  std::int64_t bus_number(const std::string& table_name, const matlab_matrix& m, std::size_t row, std::size_t col,
                          const char* const* columns) const {
    const double v = finite(table_name, m, row, col, columns);
    if (v < 1 || v != std::floor(v) || v > 9e15)
      fail(table_name, m, row, columns[col], fmt::format("a bus number must be a positive integer, is {}", v));
    return static_cast<std::int64_t>(v);
  }

  void read_buses(power_case& pc) {
    const matlab_matrix& m = table("bus", 13, bus_columns);
    std::set<std::int64_t> seen;
    for (std::size_t r = 0; r < m.rows; ++r) {
      power_bus b;
      b.line = r < m.row_lines.size() ? m.row_lines[r] : 0;
      b.number = bus_number("bus", m, r, 0, bus_columns);
      if (!seen.insert(b.number).second) fail("bus", m, r, "bus_i", fmt::format("bus {} is listed twice", b.number));
      const double type = finite("bus", m, r, 1, bus_columns);
      if (type != 1 && type != 2 && type != 3 && type != 4)
        fail("bus", m, r, "type", fmt::format("must be 1 (PQ), 2 (PV), 3 (reference) or 4 (isolated), is {}", type));
      b.kind = static_cast<bus_kind>(static_cast<int>(type));
      b.load_mw = finite("bus", m, r, 2, bus_columns) / pc.base_mva;
      b.load_mvar = finite("bus", m, r, 3, bus_columns) / pc.base_mva;
      b.shunt_mw = finite("bus", m, r, 4, bus_columns) / pc.base_mva;
      b.shunt_mvar = finite("bus", m, r, 5, bus_columns) / pc.base_mva;
      b.voltage_pu = finite("bus", m, r, 7, bus_columns);
      b.angle_degrees = finite("bus", m, r, 8, bus_columns);
      b.base_kv = finite("bus", m, r, 9, bus_columns);
      if (!(b.voltage_pu > 0) && b.kind != bus_kind::isolated)
        fail("bus", m, r, "Vm", fmt::format("must be positive, is {}", b.voltage_pu));
      if (b.base_kv < 0) fail("bus", m, r, "baseKV", fmt::format("must not be negative, is {}", b.base_kv));
      pc.buses.push_back(b);
    }
    buses_ = std::move(seen);
  }

  void read_generators(power_case& pc) {
    const matlab_matrix* m = ws_.field("gen");
    if (!m || m->rows == 0) return;  // a case may have its slack bus without a listed generator
    if (m->cols < 8) table("gen", 8, gen_columns);
    for (std::size_t r = 0; r < m->rows; ++r) {
      power_generator g;
      g.line = r < m->row_lines.size() ? m->row_lines[r] : 0;
      g.bus = bus_number("gen", *m, r, 0, gen_columns);
      if (!buses_.count(g.bus)) fail("gen", *m, r, "bus", fmt::format("bus {} is not in mpc.bus", g.bus));
      g.p_mw = finite("gen", *m, r, 1, gen_columns) / pc.base_mva;
      g.q_mvar = finite("gen", *m, r, 2, gen_columns) / pc.base_mva;
      g.voltage_setpoint_pu = finite("gen", *m, r, 5, gen_columns);
      g.in_service = finite("gen", *m, r, 7, gen_columns) > 0;
      pc.generators.push_back(g);
    }
  }

  void read_branches(power_case& pc) {
    const matlab_matrix& m = table("branch", 11, branch_columns);
    for (std::size_t r = 0; r < m.rows; ++r) {
      power_branch b;
      b.line = r < m.row_lines.size() ? m.row_lines[r] : 0;
      b.from_bus = bus_number("branch", m, r, 0, branch_columns);
      b.to_bus = bus_number("branch", m, r, 1, branch_columns);
      for (std::size_t col : {0, 1})
        if (!buses_.count(col == 0 ? b.from_bus : b.to_bus))
          fail("branch", m, r, branch_columns[col],
               fmt::format("bus {} is not in mpc.bus", col == 0 ? b.from_bus : b.to_bus));
      if (b.from_bus == b.to_bus) fail("branch", m, r, "tbus", "a branch must join two different buses");
      b.r_pu = finite("branch", m, r, 2, branch_columns);
      b.x_pu = finite("branch", m, r, 3, branch_columns);
      b.b_pu = finite("branch", m, r, 4, branch_columns);
      const double rating = m.at(r, 5);
      b.rating_mva = std::isfinite(rating) && rating > 0 ? rating : 0;
      b.tap_ratio = finite("branch", m, r, 8, branch_columns);
      b.shift_degrees = finite("branch", m, r, 9, branch_columns);
      b.in_service = finite("branch", m, r, 10, branch_columns) > 0;
      if (b.r_pu < 0) fail("branch", m, r, "r", fmt::format("resistance must not be negative, is {}", b.r_pu));
      if (b.tap_ratio < 0) fail("branch", m, r, "ratio", fmt::format("must not be negative, is {}", b.tap_ratio));
      pc.branches.push_back(b);
    }
  }

  const matlab_workspace& ws_;
  std::string file_;
  std::set<std::int64_t> buses_;
};

}  // namespace

power_case parse_matpower_case(const std::string& text, const std::string& file_label) {
  return case_reader(matlab_workspace::run_text(text, file_label), file_label).read();
}

power_case load_matpower_case(const std::string& path) {
  return case_reader(matlab_workspace::run_file(path), path).read();
}

}  // namespace citytwin
