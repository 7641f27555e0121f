#include "engine/power/matlab_workspace.hpp"

#include <cctype>
#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>

#include "engine/import/import_error.hpp"

namespace citytwin {

namespace {

// Output order of MATPOWER's idx_* functions: `[A, B, ...] = idx_bus;` binds names by position.
const std::map<std::string, std::vector<double>>& index_functions() {
  static const std::map<std::string, std::vector<double>> functions = [] {
    auto sequence = [](std::size_t n, std::vector<double> prefix = {}) {
      for (std::size_t i = 1; i <= n; ++i) prefix.push_back(static_cast<double>(i));
      return prefix;
    };
    return std::map<std::string, std::vector<double>>{
        {"idx_bus", sequence(17, {1, 2, 3, 4})},  // PQ, PV, REF, NONE, then the 17 bus columns
        {"idx_brch", sequence(21)},
        {"idx_gen", sequence(25)},
        {"idx_cost", sequence(7, {1, 2})},  // PW_LINEAR, POLYNOMIAL, then the cost columns
    };
  }();
  return functions;
}

const std::map<std::string, double (*)(double)>& elementwise_functions() {
  static const std::map<std::string, double (*)(double)> functions{
      {"sqrt", [](double v) { return std::sqrt(v); }}, {"sin", [](double v) { return std::sin(v); }},
      {"cos", [](double v) { return std::cos(v); }},   {"tan", [](double v) { return std::tan(v); }},
      {"asin", [](double v) { return std::asin(v); }}, {"acos", [](double v) { return std::acos(v); }},
      {"atan", [](double v) { return std::atan(v); }}, {"abs", [](double v) { return std::fabs(v); }},
      {"exp", [](double v) { return std::exp(v); }},   {"log", [](double v) { return std::log(v); }},
      {"log10", [](double v) { return std::log10(v); }},
  };
  return functions;
}

matlab_matrix scalar(double v) { return matlab_matrix{1, 1, {v}, {}}; }

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string{s.substr(b, e - b)};
}

bool is_identifier_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// A quote opens a string unless it follows something it could transpose.
bool quote_opens_string(std::string_view text, std::size_t at) {
  for (std::size_t i = at; i-- > 0;) {
    const char c = text[i];
    if (c == ' ' || c == '\t') continue;
    return !(is_identifier_char(c) || c == ')' || c == ']' || c == '}' || c == '\'' || c == '.');
  }
  return true;
}

std::string strip_comment(const std::string& line) {
  bool in_string = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\'') {
      if (in_string) in_string = false;
      else if (quote_opens_string(line, i)) in_string = true;
    } else if (line[i] == '%' && !in_string) {
      return line.substr(0, i);
    }
  }
  return line;
}

}  // namespace

// Evaluates statements one at a time against a workspace.
class matlab_interpreter {
 public:
  matlab_interpreter(matlab_workspace& ws, std::string file) : ws_(ws), file_(std::move(file)) {}

  void run(const std::string& text) {
    std::vector<std::string> lines;
    {
      std::istringstream in(text);
      std::string line;
      while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        lines.push_back(strip_comment(line));
      }
    }
    std::string statement;
    std::size_t statement_line = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      line_ = i + 1;
      std::string code = lines[i];
      if (table_) {
        code = continue_table(code);
        if (table_) continue;
      }
      const std::string trimmed = trim(code);
      if (trimmed.size() >= 3 && trimmed.substr(trimmed.size() - 3) == "...") {
        if (statement.empty()) statement_line = line_;
        statement += trimmed.substr(0, trimmed.size() - 3) + " ";
        continue;
      }
      if (statement.empty()) statement_line = line_;
      statement += code;
      run_line(statement, statement_line);
      statement.clear();
    }
    if (table_) fail(table_start_, "table", "'" + table_->name + "' is never closed with ']'");
    if (!statement.empty()) run_line(statement, statement_line);
  }

 private:
  struct open_table {
    std::string name;
    char closing = ']';
    matlab_matrix matrix;
    std::vector<double> row;
    std::size_t row_line = 0;
  };

  [[noreturn]] void fail(std::size_t line, const std::string& field, const std::string& reason) const {
    throw import_error(file_, fmt::format("line {}", line), field, reason);
  }

  // Splits a line into statements at top-level ';' and ',' and runs them in order.
  void run_line(const std::string& code, std::size_t line) {
    line_ = line;
    int depth = 0;
    bool in_string = false;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= code.size(); ++i) {
      const char c = i < code.size() ? code[i] : ';';
      if (c == '\'' && (in_string || quote_opens_string(code, i))) in_string = !in_string;
      if (in_string) continue;
      if (c == '(' || c == '[' || c == '{') ++depth;
      if (c == ')' || c == ']' || c == '}') --depth;
      if (depth > 0 && i < code.size()) {
        // An unclosed table literal swallows the rest of the line and the following lines.
        if (c == '[' || c == '{') {
          if (auto name = table_target(code.substr(start, i - start))) {
            begin_table(*name, c == '[' ? ']' : '}');
            std::string rest = continue_table(code.substr(i + 1));
            if (table_) return;
            run_line(rest, line);  // whatever follows the closing bracket
            return;
          }
        }
        continue;
      }
      if (c == ';' || c == ',') {
        run_statement(trim(std::string_view(code).substr(start, i - start)));
        start = i + 1;
      }
    }
  }

  // "mpc.bus =" in front of a '[' makes a table literal.
  std::optional<std::string> table_target(const std::string& head) const {
    const std::string t = trim(head);
    if (t.empty() || t.back() != '=') return std::nullopt;
    std::string name = trim(std::string_view(t).substr(0, t.size() - 1));
    const std::string prefix = ws_.struct_name_ + ".";
    if (name.rfind(prefix, 0) != 0) return std::nullopt;
    name = name.substr(prefix.size());
    for (char c : name)
      if (!is_identifier_char(c)) return std::nullopt;
    return name;
  }

  void begin_table(const std::string& name, char closing) {
    table_ = open_table{name, closing, {}, {}, line_};
    table_start_ = line_;
  }

  // Feeds table text; returns the text after the closing bracket once the table ends.
  std::string continue_table(const std::string& text) {
    open_table& t = *table_;
    std::size_t i = 0;
    auto finish_row = [&] {
      if (t.row.empty()) return;
      if (t.matrix.cols == 0) t.matrix.cols = t.row.size();
      if (t.row.size() != t.matrix.cols)
        fail(t.row_line, t.name, fmt::format("row {} has {} columns, the rows above have {}", t.matrix.rows + 1,
                                             t.row.size(), t.matrix.cols));
      t.matrix.values.insert(t.matrix.values.end(), t.row.begin(), t.row.end());
      t.matrix.row_lines.push_back(t.row_line);
      ++t.matrix.rows;
      t.row.clear();
    };
    while (i < text.size()) {
      const char c = text[i];
      if (t.closing == '}') {  // cell arrays (bus names) are not needed: skip to the end
        if (c == '\'') {
          const auto end = text.find('\'', i + 1);
          i = end == std::string::npos ? text.size() : end + 1;
          continue;
        }
        if (c == '}') {
          table_.reset();
          return text.substr(i + 1);
        }
        ++i;
        continue;
      }
      if (std::isspace(static_cast<unsigned char>(c)) || c == ',') {
        ++i;
        continue;
      }
      if (c == ';') {
        finish_row();
        ++i;
        continue;
      }
      if (c == ']') {
        finish_row();
        ws_.fields_[t.name] = std::move(t.matrix);
        table_.reset();
        return text.substr(i + 1);
      }
      if (c == '.' && text.compare(i, 3, "...") == 0) return {};  // the row continues on the next line
      std::size_t end = i;
      while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) && text[end] != ',' &&
             text[end] != ';' && text[end] != ']')
        ++end;
      const std::string token = text.substr(i, end - i);
      if (t.row.empty()) t.row_line = line_;
      t.row.push_back(parse_number(token, t));
      i = end;
    }
    finish_row();  // a line break ends a row
    return {};
  }

  double parse_number(const std::string& token, const open_table& t) const {
    std::string lower;
    for (char c : token) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool negative = !lower.empty() && lower[0] == '-';
    const std::string body = (negative || (!lower.empty() && lower[0] == '+')) ? lower.substr(1) : lower;
    if (body == "inf") return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    if (body == "nan") return std::numeric_limits<double>::quiet_NaN();
    char* end = nullptr;
    const double v = std::strtod(token.c_str(), &end);
    if (token.empty() || end != token.c_str() + token.size())
      fail(line_, t.name, fmt::format("row {}, column {}: '{}' is not a number", t.matrix.rows + 1, t.row.size() + 1,
                                      token));
    return v;
  }

  // ---- statements -------------------------------------------------------------------------

  void run_statement(const std::string& s) {
    if (s.empty()) return;
    const std::string keyword = s.substr(0, s.find_first_of(" \t(=;"));
    if (keyword == "function") return run_function_header(s);
    if (keyword == "end" || keyword == "return") return;
    if (keyword == "if" || keyword == "for" || keyword == "while" || keyword == "switch" || keyword == "else" ||
        keyword == "elseif")
      fail(line_, keyword, "control flow is outside the MATLAB subset a case file may use");
    const std::size_t eq = assignment_position(s);
    if (eq == std::string::npos)
      fail(line_, s, "not an assignment; a case file may only assign tables, fields and variables");
    const std::string lhs = trim(std::string_view(s).substr(0, eq));
    const std::string rhs = trim(std::string_view(s).substr(eq + 1));
    if (!lhs.empty() && lhs.front() == '[') return run_index_binding(lhs, rhs);
    assign(lhs, rhs);
  }

  void run_function_header(const std::string& s) {
    // function mpc = case33bw
    const std::size_t eq = s.find('=');
    if (eq == std::string::npos) fail(line_, "function", "expected 'function <struct> = <name>'");
    const std::string out = trim(std::string_view(s).substr(8, eq - 8));
    for (char c : out)
      if (!is_identifier_char(c)) fail(line_, "function", "a case function must return one struct");
    ws_.struct_name_ = out;
    ws_.function_name_ = trim(std::string_view(s).substr(eq + 1));
  }

  static std::size_t assignment_position(const std::string& s) {
    int depth = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const char c = s[i];
      if (c == '(' || c == '[' || c == '{') ++depth;
      if (c == ')' || c == ']' || c == '}') --depth;
      if (c == '=' && depth == 0) {
        const char before = i > 0 ? s[i - 1] : ' ';
        const char after = i + 1 < s.size() ? s[i + 1] : ' ';
        if (after == '=' || before == '=' || before == '<' || before == '>' || before == '~') continue;
        return i;
      }
    }
    return std::string::npos;
  }

  void run_index_binding(const std::string& lhs, const std::string& rhs) {
    const auto& functions = index_functions();
    const auto f = functions.find(rhs);
    if (f == functions.end())
      fail(line_, rhs, "only idx_bus, idx_brch, idx_gen and idx_cost may be bound to a list of names");
    std::vector<std::string> names;
    std::string current;
    for (char c : lhs.substr(1, lhs.size() - 2)) {
      if (is_identifier_char(c)) {
        current += c;
      } else if (!current.empty()) {
        names.push_back(current);
        current.clear();
      }
    }
    if (!current.empty()) names.push_back(current);
    if (names.size() > f->second.size())
      fail(line_, rhs, fmt::format("{} returns {} values, {} names given", rhs, f->second.size(), names.size()));
    for (std::size_t i = 0; i < names.size(); ++i) ws_.variables_[names[i]] = scalar(f->second[i]);
  }

  void assign(const std::string& lhs, const std::string& rhs) {
    const std::string prefix = ws_.struct_name_ + ".";
    if (lhs.rfind(prefix, 0) != 0) {
      for (char c : lhs)
        if (!is_identifier_char(c)) fail(line_, lhs, "only plain variables and struct fields can be assigned");
      ws_.variables_[lhs] = evaluate(rhs);
      return;
    }
    const std::string target = lhs.substr(prefix.size());
    const std::size_t paren = target.find('(');
    if (paren == std::string::npos) {
      if (!rhs.empty() && rhs.front() == '\'') {
        ws_.text_fields_[target] = rhs.substr(1, rhs.find('\'', 1) - 1);
        return;
      }
      ws_.fields_[target] = evaluate(rhs);
      return;
    }
    // mpc.bus(:, [PD, QD]) = ...
    const std::string name = trim(std::string_view(target).substr(0, paren));
    auto found = ws_.fields_.find(name);
    if (found == ws_.fields_.end()) fail(line_, lhs, fmt::format("'{}' is assigned before it is defined", name));
    matlab_matrix& m = found->second;
    if (target.back() != ')') fail(line_, lhs, "expected an indexed assignment like mpc.bus(:, PD) = ...");
    const auto [rows, cols] = parse_indices(target.substr(paren + 1, target.size() - paren - 2), m, lhs);
    const matlab_matrix value = evaluate(rhs);
    if (!value.is_scalar() && (value.rows != rows.size() || value.cols != cols.size()))
      fail(line_, lhs,
           fmt::format("the right side is {}x{}, the target is {}x{}", value.rows, value.cols, rows.size(), cols.size()));
    for (std::size_t r = 0; r < rows.size(); ++r)
      for (std::size_t c = 0; c < cols.size(); ++c)
        m.at(rows[r], cols[c]) = value.is_scalar() ? value.values[0] : value.at(r, c);
  }

  // ---- expressions ------------------------------------------------------------------------

  using index_list = std::vector<std::size_t>;

  std::pair<index_list, index_list> parse_indices(const std::string& args, const matlab_matrix& m,
                                                 const std::string& context) {
    const auto parts = split_top_level(args);
    if (parts.size() != 2) fail(line_, context, "tables are indexed with two subscripts (row, column)");
    return {to_indices(parts[0], m.rows, context), to_indices(parts[1], m.cols, context)};
  }

  index_list to_indices(const std::string& expression, std::size_t extent, const std::string& context) {
    index_list out;
    if (trim(expression) == ":") {
      for (std::size_t i = 0; i < extent; ++i) out.push_back(i);
      return out;
    }
    const matlab_matrix v = evaluate(expression);
    for (double d : v.values) {
      if (d < 1 || d != std::floor(d) || d > static_cast<double>(extent))
        fail(line_, context, fmt::format("subscript {} is outside 1..{}", d, extent));
      out.push_back(static_cast<std::size_t>(d) - 1);
    }
    return out;
  }

  static std::vector<std::string> split_top_level(const std::string& s) {
    std::vector<std::string> parts;
    int depth = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= s.size(); ++i) {
      const char c = i < s.size() ? s[i] : ',';
      if (c == '(' || c == '[') ++depth;
      if (c == ')' || c == ']') --depth;
      if (c == ',' && depth == 0) {
        parts.push_back(trim(std::string_view(s).substr(start, i - start)));
        start = i + 1;
      }
    }
    return parts;
  }

  matlab_matrix evaluate(const std::string& expression) {
    text_ = expression;
    pos_ = 0;
    matlab_matrix v = parse_additive();
    skip_space();
    if (pos_ != text_.size()) fail(line_, expression, fmt::format("unexpected '{}'", text_.substr(pos_)));
    return v;
  }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool accept(std::string_view token) {
    skip_space();
    if (text_.compare(pos_, token.size(), token) != 0) return false;
    pos_ += token.size();
    return true;
  }

  matlab_matrix parse_additive() {
    matlab_matrix v = parse_multiplicative();
    for (;;) {
      if (accept("+")) v = combine(v, parse_multiplicative(), '+');
      else if (accept("-")) v = combine(v, parse_multiplicative(), '-');
      else return v;
    }
  }

  matlab_matrix parse_multiplicative() {
    matlab_matrix v = parse_unary();
    for (;;) {
      if (accept(".*")) v = combine(v, parse_unary(), '*');
      else if (accept("./")) v = combine(v, parse_unary(), '/');
      else if (accept("*")) v = combine(v, parse_unary(), '*', true);
      else if (accept("/")) v = combine(v, parse_unary(), '/', true);
      else return v;
    }
  }

  matlab_matrix parse_unary() {
    if (accept("-")) return combine(scalar(0), parse_unary(), '-');
    if (accept("+")) return parse_unary();
    return parse_power();
  }

  matlab_matrix parse_power() {
    matlab_matrix base = parse_primary();
    if (accept(".^")) return combine(base, parse_unary(), '^');
    if (accept("^")) return combine(base, parse_unary(), '^', true);
    return base;
  }

  matlab_matrix parse_primary() {
    skip_space();
    if (pos_ >= text_.size()) fail(line_, text_, "expression ends too early");
    const char c = text_[pos_];
    if (c == '(') {
      ++pos_;
      matlab_matrix v = parse_additive();
      if (!accept(")")) fail(line_, text_, "missing ')'");
      return v;
    }
    if (c == '[') return parse_row_vector();
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') return parse_literal();
    if (std::isalpha(static_cast<unsigned char>(c))) return parse_name();
    fail(line_, text_, fmt::format("unexpected '{}'", text_.substr(pos_)));
  }

  matlab_matrix parse_row_vector() {
    ++pos_;  // '['
    matlab_matrix v;
    v.rows = 1;
    for (;;) {
      skip_space();
      if (accept("]")) break;
      if (accept(",")) continue;
      const matlab_matrix item = parse_additive();
      if (!item.is_scalar()) fail(line_, text_, "only scalars can be listed inside [ ]");
      v.values.push_back(item.values[0]);
      ++v.cols;
    }
    return v;
  }

  matlab_matrix parse_literal() {
    const char* begin = text_.c_str() + pos_;
    char* end = nullptr;
    const double v = std::strtod(begin, &end);
    if (end == begin) fail(line_, text_, "malformed number");
    pos_ += static_cast<std::size_t>(end - begin);
    return scalar(v);
  }

  matlab_matrix parse_name() {
    std::string name;
    while (pos_ < text_.size() && (is_identifier_char(text_[pos_]) || text_[pos_] == '.')) {
      if (text_[pos_] == '.' && pos_ + 1 < text_.size() && !std::isalpha(static_cast<unsigned char>(text_[pos_ + 1])))
        break;  // "x.*y" is an operator, not a field
      name += text_[pos_++];
    }
    skip_space();
    const bool called = pos_ < text_.size() && text_[pos_] == '(';
    std::string args;
    if (called) {
      int depth = 0;
      const std::size_t open = pos_;
      for (; pos_ < text_.size(); ++pos_) {
        if (text_[pos_] == '(') ++depth;
        if (text_[pos_] == ')' && --depth == 0) break;
      }
      if (pos_ >= text_.size()) fail(line_, text_, "missing ')'");
      args = text_.substr(open + 1, pos_ - open - 1);
      ++pos_;
    }
    const std::string prefix = ws_.struct_name_ + ".";
    if (name.rfind(prefix, 0) == 0) return read_field(name.substr(prefix.size()), called, args);
    if (called) {
      const auto& functions = elementwise_functions();
      const auto f = functions.find(name);
      if (f == functions.end()) fail(line_, name, "unknown function");
      const std::string saved_text = text_;
      const std::size_t saved_pos = pos_;
      matlab_matrix v = evaluate(args);
      text_ = saved_text;
      pos_ = saved_pos;
      for (double& d : v.values) d = f->second(d);
      return v;
    }
    if (name == "pi") return scalar(M_PI);
    if (name == "Inf" || name == "inf") return scalar(std::numeric_limits<double>::infinity());
    const auto var = ws_.variables_.find(name);
    if (var == ws_.variables_.end()) fail(line_, name, "variable used before it is assigned");
    return var->second;
  }

  matlab_matrix read_field(const std::string& name, bool indexed, const std::string& args) {
    const auto found = ws_.fields_.find(name);
    if (found == ws_.fields_.end()) fail(line_, ws_.struct_name_ + "." + name, "field used before it is assigned");
    if (!indexed) return found->second;
    const std::string saved_text = text_;
    const std::size_t saved_pos = pos_;
    const auto [rows, cols] = parse_indices(args, found->second, name);
    text_ = saved_text;
    pos_ = saved_pos;
    matlab_matrix out;
    out.rows = rows.size();
    out.cols = cols.size();
    for (std::size_t r : rows)
      for (std::size_t c : cols) out.values.push_back(found->second.at(r, c));
    return out;
  }

  matlab_matrix combine(const matlab_matrix& a, const matlab_matrix& b, char op, bool matrix_operator = false) {
    if (!a.is_scalar() && !b.is_scalar()) {
      if (matrix_operator)
        fail(line_, text_, "matrix products and powers are outside the subset; use .* ./ .^ for elementwise");
      if (a.rows != b.rows || a.cols != b.cols)
        fail(line_, text_, fmt::format("sizes {}x{} and {}x{} do not match", a.rows, a.cols, b.rows, b.cols));
    }
    if (matrix_operator && op == '/' && !b.is_scalar()) fail(line_, text_, "division by a matrix is outside the subset");
    matlab_matrix out = a.is_scalar() ? b : a;
    out.row_lines.clear();
    for (std::size_t i = 0; i < out.values.size(); ++i) {
      const double x = a.is_scalar() ? a.values[0] : a.values[i];
      const double y = b.is_scalar() ? b.values[0] : b.values[i];
      switch (op) {
        case '+': out.values[i] = x + y; break;
        case '-': out.values[i] = x - y; break;
        case '*': out.values[i] = x * y; break;
        case '/': out.values[i] = x / y; break;
        default: out.values[i] = std::pow(x, y); break;
      }
    }
    return out;
  }

  matlab_workspace& ws_;
  std::string file_;
  std::size_t line_ = 0;
  std::size_t table_start_ = 0;
  std::optional<open_table> table_;
  std::string text_;
  std::size_t pos_ = 0;
};

matlab_workspace matlab_workspace::run_text(const std::string& text, const std::string& file_label) {
  matlab_workspace ws;
  matlab_interpreter(ws, file_label).run(text);
  return ws;
}

matlab_workspace matlab_workspace::run_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw import_error(path, "", "", "cannot open the file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return run_text(buffer.str(), path);
}

const matlab_matrix* matlab_workspace::field(const std::string& name) const {
  const auto f = fields_.find(name);
  return f == fields_.end() ? nullptr : &f->second;
}

const std::string* matlab_workspace::text_field(const std::string& name) const {
  const auto f = text_fields_.find(name);
  return f == text_fields_.end() ? nullptr : &f->second;
}

}  // namespace citytwin
