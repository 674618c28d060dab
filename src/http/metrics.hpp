// Prometheus metrics of the HTTP API: requests by method, route pattern and status, and how long
// handlers took per route. Labels are route patterns ("/api/v1/conversations/{id}"), never
// paths, so no id, name or number reaches a label. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace caredesk::http {

class RequestMetrics {
 public:
  static constexpr std::array<double, 11> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                      0.5,   1,    2.5,   5,    10};
  void Observe(std::string_view method, std::string_view route, int status, double seconds);
  // The Prometheus text format (version 0.0.4) of what was observed.
  std::string Render() const;

 private:
  struct Latency {
    std::array<std::uint64_t, kBuckets.size()> buckets{};  // not cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Latency, std::less<>> latency_;
};

// A label value as the text format writes it: backslash, double quote and line feed escaped.
std::string PrometheusLabel(std::string_view value);

}  // namespace caredesk::http
