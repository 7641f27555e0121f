// The MATPOWER importer: tables, the file's own unit conversions, and errors that say where.

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "engine/import/import_error.hpp"
#include "engine/power/matpower_importer.hpp"

namespace citytwin {

namespace {

const std::string power_dir = std::string(CITYTWIN_SOURCE_DIR) + "/data/power/";

// A two-bus feeder written like MATPOWER's distribution cases, with {conversion} spliced in.
std::string two_bus_case(const std::string& conversion, const std::string& branch_row = "1 2 1.0 2.0 0 0 0 0 0 0 1 -360 360;") {
  return "function mpc = tiny\n"
         "mpc.version = '2';\n"
         "mpc.baseMVA = 10;\n"
         "mpc.bus = [ %% kW here\n"
         "\t1\t3\t0\t0\t0\t0\t1\t1\t0\t12.66\t1\t1\t1;\n"
         "\t2\t1\t100\t60\t0\t0\t1\t1\t0\t12.66\t1\t1.1\t0.9;\n"
         "];\n"
         "mpc.gen = [\n\t1\t0\t0\t10\t-10\t1\t100\t1\t10\t0;\n];\n"
         "mpc.branch = [\n\t" + branch_row + "\n];\n"
         "[PQ, PV, REF, NONE, BUS_I, BUS_TYPE, PD, QD, GS, BS, BUS_AREA, VM, ...\n"
         "    VA, BASE_KV, ZONE, VMAX, VMIN, LAM_P, LAM_Q, MU_VMAX, MU_VMIN] = idx_bus;\n"
         "[F_BUS, T_BUS, BR_R, BR_X, BR_B, RATE_A, RATE_B, RATE_C, ...\n"
         "    TAP, SHIFT, BR_STATUS, PF, QF, PT, QT, MU_SF, MU_ST, ...\n"
         "    ANGMIN, ANGMAX, MU_ANGMIN, MU_ANGMAX] = idx_brch;\n" +
         conversion;
}

import_error error_of(const std::string& text) {
  try {
    parse_matpower_case(text, "bad.m");
  } catch (const import_error& e) {
    return e;
  }
  ADD_FAILURE() << "no error raised";
  return import_error("", "", "", "");
}

}  // namespace

TEST(matpower_importer, reads_case33bw_and_applies_its_conversions) {
  const power_case pc = load_matpower_case(power_dir + "case33bw.m");
  EXPECT_EQ(pc.name, "case33bw");
  EXPECT_DOUBLE_EQ(pc.base_mva, 10);
  ASSERT_EQ(pc.buses.size(), 33u);
  ASSERT_EQ(pc.branches.size(), 37u);
  int out_of_service = 0;
  for (const auto& b : pc.branches) out_of_service += b.in_service ? 0 : 1;
  EXPECT_EQ(out_of_service, 5);
  // Branch 1-2: 0.0922 ohm over Z_base = 12.66 kV^2 / 10 MVA.
  const double z_base = 12.66e3 * 12.66e3 / 10e6;
  EXPECT_NEAR(pc.branches[0].r_pu, 0.0922 / z_base, 1e-15);
  EXPECT_NEAR(pc.branches[0].x_pu, 0.0470 / z_base, 1e-15);
  // Bus 2 draws 100 kW + 60 kVAr = 0.1 MW on a 10 MVA base.
  EXPECT_NEAR(pc.buses[1].load_mw, 0.01, 1e-15);
  EXPECT_NEAR(pc.buses[1].load_mvar, 0.006, 1e-15);
  EXPECT_EQ(pc.buses[0].kind, bus_kind::slack);
  EXPECT_EQ(pc.branches[0].line, 66u);
}

TEST(matpower_importer, converts_kva_loads_with_a_power_factor) {
  const power_case pc = load_matpower_case(power_dir + "case141.m");
  // Loads are listed in kVA: every load gets Q/P = tan(acos(0.85)).
  for (const auto& b : pc.buses) {
    if (b.load_mw == 0) continue;
    EXPECT_NEAR(b.load_mvar / b.load_mw, std::sin(std::acos(0.85)) / 0.85, 1e-12) << "bus " << b.number;
    return;
  }
  FAIL() << "no loaded bus";
}

TEST(matpower_importer, per_phase_bases_give_the_same_impedance_as_line_to_line_bases) {
  const std::string line_to_line =
      "Vbase = mpc.bus(1, BASE_KV) * 1e3;\nSbase = mpc.baseMVA * 1e6;\n"
      "mpc.branch(:, [BR_R BR_X]) = mpc.branch(:, [BR_R BR_X]) / (Vbase^2 / Sbase);\n";
  const std::string per_phase =
      "Vbase = mpc.bus(1, BASE_KV) * 1e3 / sqrt(3);  %% phase voltage\nSbase = mpc.baseMVA * 1e6 / 3;\n"
      "mpc.branch(:, [BR_R, BR_X]) = mpc.branch(:, [BR_R, BR_X]) ./ (Vbase .^ 2 / Sbase);\n";
  const power_case a = parse_matpower_case(two_bus_case(line_to_line), "a.m");
  const power_case b = parse_matpower_case(two_bus_case(per_phase), "b.m");
  EXPECT_NEAR(a.branches[0].r_pu, 1.0 / (12.66e3 * 12.66e3 / 10e6), 1e-15);
  EXPECT_NEAR(a.branches[0].r_pu, b.branches[0].r_pu, 1e-15);
  EXPECT_NEAR(a.branches[0].x_pu, b.branches[0].x_pu, 1e-15);
}

TEST(matpower_importer, without_conversion_lines_values_are_taken_as_per_unit_and_mw) {
  const power_case pc = parse_matpower_case(two_bus_case(""), "plain.m");
  EXPECT_DOUBLE_EQ(pc.branches[0].r_pu, 1.0);
  EXPECT_DOUBLE_EQ(pc.buses[1].load_mw, 10.0);  // 100 MW on a 10 MVA base
}

TEST(matpower_importer, errors_name_the_line_and_the_field) {
  {
    auto e = error_of(two_bus_case("", "1 2 1.O 2.0 0 0 0 0 0 0 1 -360 360;"));
    EXPECT_EQ(e.location, "line 12");
    EXPECT_NE(e.reason.find("'1.O' is not a number"), std::string::npos) << e.what();
  }
  {
    auto e = error_of(two_bus_case("", "1 7 1.0 2.0 0 0 0 0 0 0 1 -360 360;"));
    EXPECT_EQ(e.location, "line 12");
    EXPECT_EQ(e.field, "mpc.branch tbus");
    EXPECT_NE(e.reason.find("bus 7 is not in mpc.bus"), std::string::npos);
  }
  {
    auto e = error_of(two_bus_case("", "1 2 1.0 2.0 0 0 0 0 0 0;"));
    EXPECT_NE(std::string(e.what()).find("mpc.branch"), std::string::npos) << e.what();
    EXPECT_NE(e.reason.find("needs at least 11"), std::string::npos) << e.what();
  }
  {
    auto e = error_of(two_bus_case("", "1 2 -1.0 2.0 0 0 0 0 0 0 1 -360 360;"));
    EXPECT_EQ(e.field, "mpc.branch r");
  }
  {
    auto e = error_of(two_bus_case("if true\n  mpc.baseMVA = 1;\nend\n"));
    EXPECT_EQ(e.location, "line 19");
    EXPECT_NE(e.reason.find("control flow"), std::string::npos);
  }
  {
    auto e = error_of(two_bus_case("mpc.bus(:, [PD, QD]) = mpc.bus(:, [PD, QD]) / kilo;\n"));
    EXPECT_EQ(e.field, "kilo");
    EXPECT_NE(e.reason.find("before it is assigned"), std::string::npos);
  }
  {
    auto e = error_of(two_bus_case("mpc.bus(:, [PD, 42]) = 0;\n"));
    EXPECT_NE(e.reason.find("outside 1..13"), std::string::npos) << e.what();
  }
  {
    auto e = error_of("mpc.baseMVA = 10;\nmpc.bus = [\n1 3 0 0 0 0 1 1 0 12 1 1 1;\n2 1 0 0 0 0 1 1 0 12 1 1;\n];\n");
    EXPECT_EQ(e.location, "line 4");
    EXPECT_NE(e.reason.find("row 2 has 12 columns"), std::string::npos) << e.what();
  }
  {
    auto e = error_of("mpc.baseMVA = 10;\nmpc.bus = [\n1 3 0 0 0 0 1 1 0 12 1 1 1;\n");
    EXPECT_EQ(e.location, "line 2");
    EXPECT_NE(e.reason.find("never closed"), std::string::npos);
  }
  {
    auto e = error_of("mpc.bus = [\n1 3 0 0 0 0 1 1 0 12 1 1 1;\n];\n");
    EXPECT_EQ(e.field, "mpc.baseMVA");
  }
  {
    auto e = error_of("mpc.baseMVA = 10;\nmpc.bus = [\n1 3 0 0 0 0 1 1 0 12 1 1 1;\n1 1 0 0 0 0 1 1 0 12 1 1 1;\n];\n"
                      "mpc.branch = [\n1 1 1 1 0 0 0 0 0 0 1 -360 360;\n];\n");
    EXPECT_EQ(e.location, "line 4");
    EXPECT_NE(e.reason.find("listed twice"), std::string::npos);
  }
  {
    auto e = error_of("mpc.version = '1';\nmpc.baseMVA = 10;\n");
    EXPECT_EQ(e.field, "mpc.version");
  }
}

TEST(matpower_importer, a_missing_file_is_a_clear_error) {
  try {
    load_matpower_case("/nonexistent/case.m");
    FAIL();
  } catch (const import_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open"), std::string::npos);
  }
}

}  // namespace citytwin
