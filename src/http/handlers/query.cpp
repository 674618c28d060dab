// Query-string values for the report handlers (handlers/reports.cpp, handlers/staffing.cpp).
#include <charconv>
#include <cmath>
#include <sstream>

#include "core/tenancy/calendar.hpp"
#include "http/handlers/context.hpp"

namespace caredesk::http {

Result<int> QueryInt(std::string_view value, int lo, int hi, const char* field) {
  int v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc{} || end != value.data() + value.size() || v < lo || v > hi) {
    return Invalid(std::string(field) + " must be a whole number from " + std::to_string(lo) +
                       " to " + std::to_string(hi),
                   field);
  }
  return v;
}

Result<double> QueryNumber(std::string_view value, double lo, double hi, const char* field) {
  double v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc{} || end != value.data() + value.size() || !std::isfinite(v) || v < lo ||
      v > hi) {
    std::ostringstream why;
    why << field << " must be a number from " << lo << " to " << hi;
    return Invalid(why.str(), field);
  }
  return v;
}

std::string DayText(std::int32_t day) {
  return core::FormatDate(date::year_month_day{date::sys_days{date::days{day}}});
}

}  // namespace caredesk::http
