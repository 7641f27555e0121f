#pragma once
// Runs the small subset of MATLAB that MATPOWER case files are written in: numeric tables
// (mpc.bus = [...]), scalar variables, the idx_bus / idx_brch / idx_gen column names and the
// column-wise unit conversions at the end of the file (ohms to p.u., kW to MW, kVA with a power
// factor). Anything outside that subset is an error naming the line, never silently skipped.

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace citytwin {

struct matlab_matrix {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<double> values;         // row-major
  std::vector<std::size_t> row_lines;  // file line of each row, when it came from a table literal

  double& at(std::size_t row, std::size_t col) { return values[row * cols + col]; }
  double at(std::size_t row, std::size_t col) const { return values[row * cols + col]; }
  bool is_scalar() const { return rows == 1 && cols == 1; }
};

class matlab_workspace {
 public:
  // Reads and runs a case file; throws import_error naming the file and line.
  static matlab_workspace run_file(const std::string& path);
  static matlab_workspace run_text(const std::string& text, const std::string& file_label);

  // A field of the returned struct ("bus", "baseMVA") or nullptr when the file never set it.
  const matlab_matrix* field(const std::string& name) const;
  const std::string* text_field(const std::string& name) const;
  const std::string& function_name() const { return function_name_; }

 private:
  friend class matlab_interpreter;
  std::map<std::string, matlab_matrix> fields_;
  std::map<std::string, std::string> text_fields_;
  std::map<std::string, matlab_matrix> variables_;
  std::string struct_name_ = "mpc";
  std::string function_name_;
};

}  // namespace citytwin
