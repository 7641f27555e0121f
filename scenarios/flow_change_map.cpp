#include "scenarios/flow_change_map.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace citytwin {

namespace {

constexpr double panel_width = 640, panel_height = 640, margin = 24, header = 56;
constexpr double pi = 3.14159265358979323846;

// Maps city coordinates into a panel, keeping proportions; longitude is shrunk by cos(latitude).
struct projection {
  double min_x = 0, min_y = 0, scale = 1, x_stretch = 1;

  explicit projection(const city_graph& graph) {
    double max_x = -std::numeric_limits<double>::infinity(), max_y = max_x;
    min_x = min_y = std::numeric_limits<double>::infinity();
    for (const auto& n : graph.nodes) {
      min_x = std::min(min_x, n.x), max_x = std::max(max_x, n.x);
      min_y = std::min(min_y, n.y), max_y = std::max(max_y, n.y);
    }
    const bool geographic = min_x >= -180 && max_x <= 180 && min_y >= -90 && max_y <= 90 && max_x - min_x < 5;
    if (geographic) x_stretch = std::cos((min_y + max_y) / 2 * pi / 180);
    const double w = std::max((max_x - min_x) * x_stretch, 1e-9), h = std::max(max_y - min_y, 1e-9);
    scale = std::min((panel_width - 2 * margin) / w, (panel_height - 2 * margin) / h);
  }
  double x(double cx) const { return margin + (cx - min_x) * x_stretch * scale; }
  double y(double cy) const { return panel_height - margin - (cy - min_y) * scale; }  // north up
};

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// Segments the variant closes at some time in the run: drawn dashed.
std::vector<bool> closed_by(const nlohmann::ordered_json& branch, std::size_t segments) {
  std::vector<bool> closed(segments, false);
  for (const auto& i : branch.at("interventions"))
    if (i.value("closes", false) && i.contains("segment_id")) {
      const auto id = i["segment_id"].get<std::size_t>();
      if (id < segments) closed[id] = true;
    }
  return closed;
}

}  // namespace

std::string render_flow_change_svg(const city_graph& graph, const nlohmann::ordered_json& report) {
  if (report.at("city").at("segments").get<std::size_t>() != graph.segments.size())
    throw std::invalid_argument("the report was made on a city with " + report["city"]["segments"].dump() +
                                " segments, this city has " + std::to_string(graph.segments.size()));
  const auto& branches = report.at("branches");
  const std::size_t variants = branches.size() > 0 ? branches.size() - 1 : 0;
  const projection p(graph);
  const double width = panel_width * static_cast<double>(std::max<std::size_t>(variants, 1));
  const double height = panel_height + header;
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" height=\"{1:.0f}\" viewBox=\"0 0 {0:.0f} {1:.0f}\" "
      "font-family=\"sans-serif\" font-size=\"13\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      width, height);
  svg += fmt::format("<title>{}: change in flow against the baseline</title>\n",
                     escape(report.at("scenario").at("name").get<std::string>()));
  if (variants == 0) svg += fmt::format("<text x=\"{}\" y=\"30\">No variants: nothing to compare.</text>\n", margin);

  for (std::size_t v = 0; v < variants; ++v) {
    const auto& branch = branches[v + 1];
    std::vector<std::int64_t> change(graph.segments.size(), 0);
    std::int64_t largest = 0;
    for (const auto& entry : branch.at("flow_change")) {
      const auto id = entry.at(0).get<std::size_t>();
      if (id >= change.size()) throw std::invalid_argument("flow_change names segment " + std::to_string(id) + ", beyond the city");
      change[id] = entry.at(1).get<std::int64_t>();
      largest = std::max(largest, std::abs(change[id]));
    }
    const auto closed = closed_by(branch, graph.segments.size());
    const double left = panel_width * static_cast<double>(v);
    svg += fmt::format("<g transform=\"translate({:.0f},{:.0f})\">\n", left, header);
    svg += fmt::format("<text x=\"{}\" y=\"-30\" font-weight=\"bold\">{}</text>\n", margin,
                       escape(branch.at("name").get<std::string>()));
    svg += fmt::format("<text x=\"{}\" y=\"-12\"><tspan fill=\"#c0392b\">red: more vehicles</tspan>, "
                       "<tspan fill=\"#2471a3\">blue: fewer</tspan>, width up to {} vehicles; dashed: closed</text>\n",
                       margin, largest);
    // Unchanged roads first, so changes draw on top of them.
    for (int pass = 0; pass < 2; ++pass)
      for (const auto& s : graph.segments) {
        const std::int64_t d = change[s.id];
        const bool changed = d != 0 || closed[s.id];
        if (changed != (pass == 1)) continue;
        const auto& a = graph.nodes[s.from];
        const auto& b = graph.nodes[s.to];
        double x1 = p.x(a.x), y1 = p.y(a.y), x2 = p.x(b.x), y2 = p.y(b.y);
        // Shift each direction to its own right so two-way roads show both.
        const double length = std::hypot(x2 - x1, y2 - y1);
        if (length > 0) {
          const double ox = (y2 - y1) / length * 1.5, oy = -(x2 - x1) / length * 1.5;
          x1 += ox, x2 += ox, y1 += oy, y2 += oy;
        }
        const char* color = d > 0 ? "#c0392b" : d < 0 ? "#2471a3" : "#b8b8b8";
        const double stroke = 0.8 + (largest > 0 ? 6.0 * static_cast<double>(std::abs(d)) / static_cast<double>(largest) : 0);
        svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" stroke-width=\"{:.1f}\"{}>",
                           x1, y1, x2, y2, closed[s.id] ? "#000000" : color, stroke,
                           closed[s.id] ? " stroke-dasharray=\"4 3\"" : "");
        if (changed) svg += fmt::format("<title>segment {} ({}): {:+d} vehicles</title>", s.id, s.name, d);
        svg += "</line>\n";
      }
    svg += "</g>\n";
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace citytwin
