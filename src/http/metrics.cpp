#include "http/metrics.hpp"

#include <sstream>

namespace caredesk::http {

std::string PrometheusLabel(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void RequestMetrics::Observe(std::string_view method, std::string_view route, int status,
                             double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{std::string(method), std::string(route), status}];
  auto it = latency_.find(route);
  if (it == latency_.end()) it = latency_.emplace(std::string(route), Latency{}).first;
  Latency& l = it->second;
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++l.buckets[i];
      break;
    }
  }
  ++l.count;
  l.sum += seconds;
}

std::string RequestMetrics::Render() const {
  std::ostringstream out;
  out.imbue(std::locale::classic());
  std::lock_guard lock(mutex_);
  out << "# HELP caredesk_http_requests_total HTTP requests answered, by method, route pattern "
         "and status.\n# TYPE caredesk_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [method, route, status] = key;
    out << "caredesk_http_requests_total{method=\"" << PrometheusLabel(method) << "\",route=\""
        << PrometheusLabel(route) << "\",status=\"" << status << "\"} " << n << "\n";
  }
  out << "# HELP caredesk_http_request_duration_seconds Time handlers took, by route pattern.\n"
         "# TYPE caredesk_http_request_duration_seconds histogram\n";
  for (const auto& [route, l] : latency_) {
    const std::string label = PrometheusLabel(route);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += l.buckets[i];
      out << "caredesk_http_request_duration_seconds_bucket{route=\"" << label << "\",le=\""
          << kBuckets[i] << "\"} " << cumulative << "\n";
    }
    out << "caredesk_http_request_duration_seconds_bucket{route=\"" << label << "\",le=\"+Inf\"} "
        << l.count << "\n";
    out << "caredesk_http_request_duration_seconds_sum{route=\"" << label << "\"} " << l.sum
        << "\n";
    out << "caredesk_http_request_duration_seconds_count{route=\"" << label << "\"} " << l.count
        << "\n";
  }
  return out.str();
}

}  // namespace caredesk::http
