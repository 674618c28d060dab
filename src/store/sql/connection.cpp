#include "store/sql/connection.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

namespace caredesk::store {
namespace {

// A column whose value cannot be read as the requested type means the SQL constant and the
// reading code disagree: a programming mistake, so it throws (caught at the request boundary).
[[noreturn]] void ThrowTypeMismatch(std::string_view wanted) {
  throw ErrorException(Internal("column value is not " + std::string(wanted)));
}

// Engines may hand integers back as text (Postgres types without a mapping, SQLite TEXT
// affinity) or as double (Postgres numeric, e.g. SUM over bigint). Only exact integers pass.
std::int64_t ToInt(const SqlValue& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (std::holds_alternative<std::monostate>(v)) return 0;
  if (const auto* d = std::get_if<double>(&v)) {
    // 2^63 is exactly representable; the valid range is [-2^63, 2^63).
    constexpr double kLimit = 9223372036854775808.0;
    if (std::isfinite(*d) && *d >= -kLimit && *d < kLimit && std::trunc(*d) == *d) {
      return static_cast<std::int64_t>(*d);
    }
    ThrowTypeMismatch("an integer");
  }
  const std::string& s = std::get<std::string>(v);
  std::int64_t out = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) ThrowTypeMismatch("an integer");
  return out;
}

double ToReal(const SqlValue& v) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (std::holds_alternative<std::monostate>(v)) return 0.0;
  const std::string& s = std::get<std::string>(v);
  double out = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) ThrowTypeMismatch("a number");
  return out;
}

}  // namespace

std::int64_t SqlRow::Int(std::size_t i) const { return ToInt(columns.at(i)); }

double SqlRow::Real(std::size_t i) const { return ToReal(columns.at(i)); }

const std::string& SqlRow::Text(std::size_t i) const {
  static const std::string kEmpty;
  const SqlValue& v = columns.at(i);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (std::holds_alternative<std::monostate>(v)) return kEmpty;
  // A reference cannot be returned to a converted number; OptText converts.
  ThrowTypeMismatch("text");
}

std::optional<std::int64_t> SqlRow::OptInt(std::size_t i) const {
  const SqlValue& v = columns.at(i);
  if (std::holds_alternative<std::monostate>(v)) return std::nullopt;
  return ToInt(v);
}

std::optional<std::string> SqlRow::OptText(std::size_t i) const {
  const SqlValue& v = columns.at(i);
  if (std::holds_alternative<std::monostate>(v)) return std::nullopt;
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* n = std::get_if<std::int64_t>(&v)) return std::to_string(*n);
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, std::get<double>(v));
  return std::string(buf, ec == std::errc() ? end : buf);
}

}  // namespace caredesk::store
