#include "html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>

#include "efficiency.h"

namespace braid::bench {
namespace {

constexpr double kW = 440, kH = 220;                      // chart size
constexpr double kLeft = 52, kRight = 12, kTop = 14, kBottom = 34;  // plot margins

std::string esc(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string num(double x, const char* fmt = "%.3g") {
  char buf[32];
  std::snprintf(buf, sizeof buf, fmt, x);
  return buf;
}

// Maps data to the plot area of one chart and draws its axes.
struct Plot {
  double x0, x1, y0, y1;
  bool y_ticks = true;  // false: the caller labels the y axis itself
  double px(double x) const { return kLeft + (x - x0) / (x1 - x0 > 0 ? x1 - x0 : 1) * (kW - kLeft - kRight); }
  double py(double y) const { return kH - kBottom - (y - y0) / (y1 - y0 > 0 ? y1 - y0 : 1) * (kH - kTop - kBottom); }

  std::string open(const std::string& cls, const std::string& xlabel, const std::string& ylabel) const {
    std::string s = "<svg class=\"chart " + cls + "\" viewBox=\"0 0 " + num(kW) + " " + num(kH) +
                    "\" width=\"" + num(kW) + "\" height=\"" + num(kH) + "\" xmlns=\"http://www.w3.org/2000/svg\">";
    s += "<rect class=\"frame\" x=\"" + num(kLeft) + "\" y=\"" + num(kTop) + "\" width=\"" + num(kW - kLeft - kRight) +
         "\" height=\"" + num(kH - kTop - kBottom) + "\"/>";
    for (int i = 0; i <= 4; ++i) {
      const double x = x0 + (x1 - x0) * i / 4, y = y0 + (y1 - y0) * i / 4;
      s += "<text class=\"tick\" x=\"" + num(px(x)) + "\" y=\"" + num(kH - kBottom + 13) + "\" text-anchor=\"middle\">" +
           num(x) + "</text>";
      if (y_ticks)
        s += "<text class=\"tick\" x=\"" + num(kLeft - 4) + "\" y=\"" + num(py(y) + 3) + "\" text-anchor=\"end\">" +
             num(y) + "</text>";
    }
    s += "<text class=\"label\" x=\"" + num((kLeft + kW - kRight) / 2) + "\" y=\"" + num(kH - 4) +
         "\" text-anchor=\"middle\">" + esc(xlabel) + "</text>";
    s += "<text class=\"label\" x=\"12\" y=\"" + num((kTop + kH - kBottom) / 2) + "\" text-anchor=\"middle\" transform=\"rotate(-90 12 " +
         num((kTop + kH - kBottom) / 2) + ")\">" + esc(ylabel) + "</text>";
    return s;
  }
};

std::string histogram(const std::vector<double>& samples) {
  std::vector<double> ms = samples;
  std::sort(ms.begin(), ms.end());
  const double lo = ms.front(), hi = std::max(ms.back(), lo * 1.0001 + 1e-9);
  const int bins = std::clamp(static_cast<int>(std::sqrt(static_cast<double>(ms.size()))) + 1, 5, 40);
  std::vector<int> count(bins, 0);
  for (double v : ms) count[std::min(bins - 1, static_cast<int>((v - lo) / (hi - lo) * bins))]++;
  const Plot p{lo, hi, 0, static_cast<double>(*std::max_element(count.begin(), count.end()))};
  std::string s = p.open("histogram", "latency (ms)", "requests");
  for (int b = 0; b < bins; ++b) {
    const double a = lo + (hi - lo) * b / bins, z = lo + (hi - lo) * (b + 1) / bins;
    s += "<rect class=\"bar\" x=\"" + num(p.px(a)) + "\" y=\"" + num(p.py(count[b])) + "\" width=\"" +
         num(std::max(0.5, p.px(z) - p.px(a) - 0.5)) + "\" height=\"" + num(p.py(0) - p.py(count[b])) + "\"><title>" +
         num(a) + "-" + num(z) + " ms: " + std::to_string(count[b]) + "</title></rect>";
  }
  return s + "</svg>";
}

std::string cdf(const std::vector<double>& samples, const LatencySummary& latency) {
  std::vector<double> ms = samples;
  std::sort(ms.begin(), ms.end());
  const Plot p{ms.front(), std::max(ms.back(), ms.front() * 1.0001 + 1e-9), 0, 1};
  std::string s = p.open("cdf", "latency (ms)", "share of requests");
  std::string pts;
  for (size_t i = 0; i < ms.size(); ++i)
    pts += num(p.px(ms[i])) + "," + num(p.py(static_cast<double>(i + 1) / static_cast<double>(ms.size()))) + " ";
  s += "<polyline class=\"line\" points=\"" + pts + "\"/>";
  for (double q : {0.5, 0.99}) {
    const double v = q == 0.5 ? latency.p50 : latency.p99;
    s += "<line class=\"mark\" x1=\"" + num(p.px(v)) + "\" x2=\"" + num(p.px(v)) + "\" y1=\"" + num(p.py(0)) + "\" y2=\"" +
         num(p.py(1)) + "\"/><text class=\"tick\" x=\"" + num(p.px(v) + (q == 0.5 ? 3 : -3)) + "\" y=\"" +
         num(p.py(q == 0.5 ? 0.5 : 0.15)) + "\" text-anchor=\"" + (q == 0.5 ? "start" : "end") + "\">p" +
         (q == 0.5 ? "50 " : "99 ") + num(v) + "</text>";
  }
  return s + "</svg>";
}

// Every configuration of one model in one phase on one CDF (Braid's solid, ORT's dashed),
// x from the fastest request to the largest p99.9, so that the tails stay readable.
std::string cdf_overlay(const std::vector<const CompareRow*>& rows) {
  double lo = INFINITY, hi = 0;
  for (const CompareRow* r : rows) {
    lo = std::min(lo, r->latency.min);
    hi = std::max(hi, r->latency.p999);
  }
  const Plot p{lo, std::max(hi, lo * 1.0001 + 1e-9), 0, 1};
  std::string s = p.open("cdf-compare", "latency (ms)", "share of requests");
  int k = 0;
  for (const CompareRow* r : rows) {
    std::vector<double> ms = r->latency_ms;
    std::sort(ms.begin(), ms.end());
    std::string pts;
    for (size_t i = 0; i < ms.size(); ++i)
      if (ms[i] <= p.x1) pts += num(p.px(ms[i])) + "," + num(p.py(static_cast<double>(i + 1) / static_cast<double>(ms.size()))) + " ";
    const std::string cls = "line c" + std::to_string(k % 6) + (r->runtime == "ort" ? " peer" : "");
    s += "<polyline class=\"" + cls + "\" points=\"" + pts + "\"><title>" + esc(r->runtime + " " + r->config) +
         "</title></polyline>";
    s += "<rect class=\"legendbg\" x=\"" + num(kW - kRight - 150) + "\" y=\"" + num(kTop + 100 + 12 * k) +
         "\" width=\"146\" height=\"12\"/><text class=\"legend c" + std::to_string(k % 6) + "\" x=\"" +
         num(kW - kRight - 147) + "\" y=\"" + num(kTop + 109 + 12 * k) + "\">" + esc(r->runtime + " " + r->config) +
         "</text>";
    ++k;
  }
  return s + "</svg>";
}

std::string mib_cell(int64_t v, double unit, const char* fmt = "%.1f") {
  return v >= 0 ? num(static_cast<double>(v) / unit, fmt) : "-";
}

// --compare: per phase the table (with ratios to ORT's best), then per model every
// configuration's CDF on one chart and each one's histogram and CDF.
void write_compare(std::ostream& os, const CompareReport& c) {
  os << "<h2>Against ONNX Runtime</h2>\n<p>" << esc(c.peer) << ", " << esc(c.scenario) << ", " << c.threads
     << " threads, " << c.rounds << " interleaved rounds";
  if (c.ort_identity_ms >= 0) os << "; per-call overhead (Identity): ORT via Node " << num(c.ort_identity_ms, "%.4f") << " ms";
  if (c.ort_baseline_rss_kib >= 0)
    os << "; Node with onnxruntime-node and no model: " << mib_cell(c.ort_baseline_rss_kib, 1024) << " MiB";
  os << "; ceilings: " << esc(describe(c.ceilings)) << ".</p>\n";
  for (const ComparePhase& ph : c.phases) {
    os << "<h3>Phase: " << esc(ph.name) << (ph.interference == "none" ? "" : " (" + esc(ph.interference) + ")")
       << "</h3>\n<table class=\"compare\"><tr><th>model</th><th>runtime</th><th>config</th><th>runs</th><th>per s</th>"
          "<th>p50 ms</th><th>p99 ms</th><th>max ms</th><th>peak RSS MiB</th><th>act MiB</th><th>CPU ms/req</th><th>cores</th><th>% FMA peak</th><th>p50/ORT</th>"
          "<th>p99/ORT</th><th>per s/ORT</th></tr>\n";
    for (const CompareRow& r : ph.rows) {
      os << "<tr><td>" << esc(r.model) << "</td><td>" << r.runtime << "</td><td>" << esc(r.config) << "</td>";
      if (!r.error.empty()) {
        os << "<td colspan=\"13\" class=\"failed\">" << esc(r.error) << "</td></tr>\n";
        continue;
      }
      os << "<td>" << r.runs << "</td><td>" << num(r.throughput, "%.1f") << "</td><td>" << num(r.latency.p50, "%.3f")
         << "</td><td>" << num(r.latency.p99, "%.3f") << "</td><td>" << num(r.latency.max, "%.3f") << "</td><td>"
         << mib_cell(r.peak_rss_kib, 1024) << "</td><td>" << mib_cell(r.peak_activation_bytes, 1 << 20, "%.2f")
         << "</td><td>" << (r.cpu_ms_per_request >= 0 ? num(r.cpu_ms_per_request, "%.3f") : "-") << "</td><td>"
         << (r.cores_busy >= 0 ? num(r.cores_busy, "%.2f") : "-") << "</td><td>" << percent(r.efficiency.fma_share)
         << "</td>";
      const CompareRatio* k = nullptr;
      bool best = false;
      for (const CompareRatio& x : ph.ratios) {
        if (x.model == r.model && r.runtime == "braid" && x.braid_config == r.config) k = &x;
        best |= x.model == r.model && r.runtime == "ort" && x.ort_config == r.config;
      }
      if (k)
        os << "<td>" << num(k->p50_ratio, "%.2f") << "x</td><td>" << num(k->p99_ratio, "%.2f") << "x</td><td>"
           << num(k->throughput_ratio, "%.2f") << "x</td>";
      else
        os << "<td colspan=\"3\">" << (best ? "(best)" : "") << "</td>";
      os << "</tr>\n";
    }
    os << "</table>\n";
    std::vector<std::string> models;
    for (const CompareRow& r : ph.rows)
      if (std::find(models.begin(), models.end(), r.model) == models.end()) models.push_back(r.model);
    for (const std::string& model : models) {
      std::vector<const CompareRow*> rows;
      for (const CompareRow& r : ph.rows)
        if (r.model == model && r.error.empty() && !r.latency_ms.empty()) rows.push_back(&r);
      if (rows.empty()) continue;
      os << "<h4>" << esc(model) << " &middot; " << esc(ph.name) << "</h4>\n<div>" << cdf_overlay(rows) << "</div>\n";
      for (const CompareRow* r : rows)
        os << "<div class=\"config " << r->runtime << "\"><h5>" << esc(r->runtime + " " + r->config) << "</h5>"
           << histogram(r->latency_ms) << cdf(r->latency_ms, r->latency) << "</div>\n";
    }
  }
  if (!c.output_checks.empty()) {
    os << "<h3>Output check</h3>\n<table><tr><th>model</th><th>Braid</th><th>ORT</th><th>status</th><th>values</th>"
          "<th>max abs err</th><th>max rel err</th><th>tolerance</th></tr>\n";
    for (const OutputCheck& k : c.output_checks)
      os << "<tr><td>" << esc(k.model) << "</td><td>" << esc(k.braid_config) << "</td><td>" << esc(k.ort_config)
         << "</td><td" << (k.status == "mismatch" ? " class=\"failed\"" : "") << ">" << k.status
         << (k.note.empty() ? "" : " (" + esc(k.note) + ")") << "</td><td>" << k.numel << "</td><td>"
         << (k.max_abs_err >= 0 ? num(k.max_abs_err) : "-") << "</td><td>"
         << (k.max_rel_err >= 0 ? num(k.max_rel_err) : "-") << "</td><td>"
         << (k.tolerance >= 0 ? num(k.tolerance) : "-") << "</td></tr>\n";
    os << "</table>\n";
  }
}

// The request of `phase` whose span is the median one: its subgraph runs per thread.
std::string request_timeline(const std::vector<TracedRun>& runs, int phase) {
  std::map<uint64_t, std::vector<const TracedRun*>> by_request;
  for (const TracedRun& r : runs)
    if (r.phase == phase) by_request[r.request_id].push_back(&r);
  if (by_request.empty()) return "";
  std::vector<std::pair<int64_t, uint64_t>> spans;
  for (auto& [id, rs] : by_request) {
    int64_t a = rs.front()->start_ns, z = rs.front()->end_ns;
    for (const TracedRun* r : rs) a = std::min(a, r->start_ns), z = std::max(z, r->end_ns);
    spans.push_back({z - a, id});
  }
  std::sort(spans.begin(), spans.end());
  const uint64_t id = spans[spans.size() / 2].second;
  const auto& rs = by_request[id];
  int64_t t0 = rs.front()->start_ns, t1 = rs.front()->end_ns;
  std::vector<int> tids;
  for (const TracedRun* r : rs) {
    t0 = std::min(t0, r->start_ns), t1 = std::max(t1, r->end_ns);
    if (std::find(tids.begin(), tids.end(), r->tid) == tids.end()) tids.push_back(r->tid);
  }
  const double span_ms = static_cast<double>(t1 - t0) / 1e6;
  const Plot p{0, span_ms > 0 ? span_ms : 1, 0, static_cast<double>(tids.size()), false};
  std::string s = p.open("timeline", "ms since the request's first subgraph (request " + std::to_string(id) + ")", "thread");
  for (size_t lane = 0; lane < tids.size(); ++lane)
    s += "<text class=\"tick\" x=\"" + num(kLeft - 4) + "\" y=\"" + num(p.py(static_cast<double>(lane) + 0.5) + 3) +
         "\" text-anchor=\"end\">" + std::to_string(tids[lane]) + "</text>";
  for (const TracedRun* r : rs) {
    const double lane = static_cast<double>(std::find(tids.begin(), tids.end(), r->tid) - tids.begin());
    const double a = static_cast<double>(r->start_ns - t0) / 1e6, z = static_cast<double>(r->end_ns - t0) / 1e6;
    s += "<rect class=\"run\" x=\"" + num(p.px(a)) + "\" y=\"" + num(p.py(lane + 0.9)) + "\" width=\"" +
         num(std::max(1.0, p.px(z) - p.px(a))) + "\" height=\"" + num(p.py(lane + 0.1) - p.py(lane + 0.9)) +
         "\"><title>subgraph " + std::to_string(r->subgraph) + ": " + num(z - a) + " ms on " +
         std::to_string(r->threads) + " thread(s), " + r->precision + "</title></rect>";
  }
  return s + "</svg>";
}

// One line per series over the run's time, with the measured phases shaded.
std::string resource_chart(const std::vector<ResourceSample>& tl, const char* cls, const char* ylabel,
                           const std::vector<std::pair<const char*, double (*)(const ResourceSample&)>>& series) {
  double ymax = 0;
  for (const ResourceSample& s : tl)
    for (const auto& [name, f] : series)
      if (std::isfinite(f(s))) ymax = std::max(ymax, f(s));
  const Plot p{0, std::max(1.0, tl.back().t_ms / 1e3), 0, ymax > 0 ? ymax * 1.1 : 1};
  std::string s = p.open(cls, "seconds since start", ylabel);
  for (size_t i = 0; i < tl.size();) {
    size_t j = i;
    while (j + 1 < tl.size() && tl[j + 1].phase == tl[i].phase) ++j;
    if (!tl[i].phase.empty())
      s += "<rect class=\"phase\" x=\"" + num(p.px(tl[i].t_ms / 1e3)) + "\" y=\"" + num(kTop) + "\" width=\"" +
           num(p.px(tl[j].t_ms / 1e3) - p.px(tl[i].t_ms / 1e3)) + "\" height=\"" + num(kH - kTop - kBottom) +
           "\"><title>" + esc(tl[i].phase) + "</title></rect>";
    i = j + 1;
  }
  int k = 0;
  for (const auto& [name, f] : series) {
    std::string pts;
    for (const ResourceSample& smp : tl)
      if (std::isfinite(f(smp))) pts += num(p.px(smp.t_ms / 1e3)) + "," + num(p.py(f(smp))) + " ";
    s += "<polyline class=\"line s" + std::to_string(k) + "\" points=\"" + pts + "\"/>";
    s += "<rect class=\"legendbg\" x=\"" + num(kLeft + 3) + "\" y=\"" + num(kTop + 3 + 12 * k) +
         "\" width=\"96\" height=\"12\"/><text class=\"legend s" + std::to_string(k) + "\" x=\"" + num(kLeft + 6) +
         "\" y=\"" + num(kTop + 12 + 12 * k) + "\">" + name + "</text>";
    ++k;
  }
  return s + "</svg>";
}

constexpr const char* kStyle = R"(body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}
table{border-collapse:collapse}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}
td:first-child,th:first-child,td:nth-child(2),th:nth-child(2){text-align:left}
.chart{margin:4px 12px 12px 0;background:#fff}.frame{fill:none;stroke:#999}
.tick{font-size:10px;fill:#555}.label{font-size:11px;fill:#333}.bar{fill:#4c78a8}.run{fill:#f58518;stroke:#fff}
.line{fill:none;stroke:#4c78a8;stroke-width:1.5}.s1{stroke:#e45756;fill:none}.s2{stroke:#54a24b;fill:none}
text.legend{stroke:none;font-size:11px;fill:#4c78a8}text.s1{fill:#e45756}text.s2{fill:#54a24b}
.c0{stroke:#4c78a8}.c1{stroke:#e45756}.c2{stroke:#54a24b}.c3{stroke:#b279a2}.c4{stroke:#f58518}.c5{stroke:#72b7b2}
text.c0{fill:#4c78a8}text.c1{fill:#e45756}text.c2{fill:#54a24b}text.c3{fill:#b279a2}text.c4{fill:#f58518}text.c5{fill:#72b7b2}
.peer{stroke-dasharray:5 3}div.config{display:inline-block}h5{margin:4px 0}
.mark{stroke:#999;stroke-dasharray:3 3}.legendbg{fill:#fff;fill-opacity:.85}.phase{fill:#eef}.failed{color:#b00}code{font-size:12px})";

}  // namespace

void write_html(std::ostream& os, const RunReport& r, const std::vector<TracedRun>& runs,
                const std::vector<TracePhase>& phases) {
  os << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>braid-bench report</title><style>"
     << kStyle << "</style></head><body>\n<h1>braid-bench report</h1>\n<p>braid " << esc(r.versions.braid) << " ("
     << esc(r.versions.compiler) << ", " << r.versions.build_type << ") &middot; " << esc(r.machine.cpu_model) << ", "
     << r.machine.allowed_cores << "/" << r.machine.logical_cores << " cores &middot; " << esc(r.created_utc)
     << "</p>\n<p><code>";
  for (const std::string& a : r.command_line) os << esc(a) << ' ';
  os << "</code></p>\n";
  if (!r.results.empty())
    os << "<h2>Summary</h2>\n<table><tr><th>model</th><th>mode</th><th>requests</th><th>per s</th>"
          "<th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th><th>peak RSS MiB</th>"
          "<th>act MiB</th><th>GFLOP/s</th><th>% FMA peak</th></tr>\n";
  for (const ModeResult& m : r.results) {
    os << "<tr><td>" << esc(m.model) << "</td><td>" << m.mode << (m.precision == "f32" ? "" : " " + m.precision) << "</td>";
    if (!m.ok()) {
      os << "<td colspan=\"11\" class=\"failed\">" << esc(m.error) << "</td></tr>\n";
      continue;
    }
    os << "<td>" << m.iterations << "</td><td>" << num(m.throughput, "%.1f") << "</td><td>" << num(m.latency.p50, "%.3f")
       << "</td><td>" << num(m.latency.p90, "%.3f") << "</td><td>" << num(m.latency.p99, "%.3f") << "</td><td>"
       << num(m.latency.p999, "%.3f") << "</td><td>" << num(m.latency.max, "%.3f") << "</td><td>"
       << num(static_cast<double>(m.peak_rss_kib) / 1024, "%.1f") << "</td><td>"
       << mib_cell(m.peak_activation_bytes, 1 << 20, "%.2f") << "</td><td>"
       << (m.efficiency.gflops_per_s >= 0 ? num(m.efficiency.gflops_per_s, "%.1f") : "-") << "</td><td>"
       << percent(m.efficiency.fma_share) << "</td></tr>\n";
  }
  if (!r.results.empty()) os << "</table>\n";
  if (r.has_compare) write_compare(os, r.compare);
  if (!r.results.empty()) os << "<h2>Latency</h2>\n";
  for (const ModeResult& m : r.results) {
    if (!m.ok() || m.latency_ms.empty()) continue;
    os << "<h3>" << esc(m.model) << " &middot; " << m.mode << (m.precision == "f32" ? "" : " " + m.precision) << "</h3>\n<div>" << histogram(m.latency_ms) << cdf(m.latency_ms, m.latency) << "</div>\n";
  }
  os << "<h2>One request's subgraph runs</h2>\n<p>The request with the median span of each traced model and mode "
        "(Braid's only); one lane per thread (sequential mode runs nodes, not subgraphs, and is not traced).</p>\n";
  for (size_t p = 0; p < phases.size(); ++p) {
    const std::string svg = request_timeline(runs, static_cast<int>(p));
    if (!svg.empty()) os << "<h3>" << esc(phases[p].model) << " &middot; " << phases[p].mode << "</h3>\n" << svg << "\n";
  }
  os << "<h2>Resources over the run</h2>\n<p>The runtime's ResourceVector every " << num(r.timeline_period_ms)
     << " ms; shaded: a model and mode being measured.</p>\n";
  if (!r.timeline.empty()) {
    os << resource_chart(r.timeline, "cores", "cores",
                         {{"available", [](const ResourceSample& s) { return s.cores_available; }},
                          {"used by braid", [](const ResourceSample& s) { return s.cores_used_by_braid; }},
                          {"used by others", [](const ResourceSample& s) { return s.cores_used_by_others; }},
                          {"others runnable", [](const ResourceSample& s) { return s.others_runnable; }}})
       << resource_chart(r.timeline, "memory", "GiB",
                         {{"memory available", [](const ResourceSample& s) {
                             return s.memory_bytes_available >= 0 ? static_cast<double>(s.memory_bytes_available) / (1 << 30)
                                                                  : NAN;
                           }}})
       << "\n";
  }
  os << "</body></html>\n";
}

}  // namespace braid::bench
