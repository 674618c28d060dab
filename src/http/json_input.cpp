#include "http/json_input.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

#include <algorithm>

#include "base/text.hpp"

namespace caredesk::http {
namespace {

std::string Field(std::string_view prefix, std::string_view key) {
  return prefix.empty() ? std::string(key) : std::string(prefix) + "." + std::string(key);
}

}  // namespace

Result<void> CheckKeys(const boost::json::object& o,
                       std::initializer_list<std::string_view> allowed,
                       std::string_view field_prefix) {
  for (const auto& kv : o) {
    if (std::find(allowed.begin(), allowed.end(), std::string_view(kv.key())) == allowed.end()) {
      // The key itself is caller input; echo it only if short and printable.
      std::string key(kv.key());
      bool printable = key.size() <= 64 && std::all_of(key.begin(), key.end(), [](char c) {
                         return c >= 0x20 && c < 0x7f;
                       });
      return Invalid("unknown field",
                     printable ? Field(field_prefix, key) : std::string(field_prefix));
    }
  }
  return {};
}

Result<boost::json::object> ParseObject(std::string_view body,
                                        std::initializer_list<std::string_view> allowed,
                                        std::string_view field_prefix) {
  if (!IsValidUtf8(body)) return Invalid("request body is not valid UTF-8");
  boost::json::parse_options opts;
  opts.max_depth = 16;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec, {}, opts);
  if (ec) return Invalid("request body is not valid JSON");
  if (!v.is_object()) return Invalid("request body must be a JSON object");
  CD_TRY(CheckKeys(v.as_object(), allowed, field_prefix));
  return std::move(v.as_object());
}

Result<std::string> RequireString(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return Invalid("field is required", std::string(key));
  if (!it->value().is_string()) return Invalid("field must be a string", std::string(key));
  return std::string(it->value().as_string());
}

Result<std::optional<std::string>> OptionalString(const boost::json::object& o,
                                                  std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<std::string>{};
  if (!it->value().is_string()) return Invalid("field must be a string", std::string(key));
  return std::optional<std::string>{std::string(it->value().as_string())};
}

Result<std::optional<std::int64_t>> OptionalInt(const boost::json::object& o,
                                                std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<std::int64_t>{};
  if (it->value().is_int64()) return std::optional<std::int64_t>{it->value().as_int64()};
  if (it->value().is_uint64() && it->value().as_uint64() <= INT64_MAX) {
    return std::optional<std::int64_t>{static_cast<std::int64_t>(it->value().as_uint64())};
  }
  return Invalid("field must be an integer", std::string(key));
}

Result<std::optional<bool>> OptionalBool(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<bool>{};
  if (!it->value().is_bool()) return Invalid("field must be true or false", std::string(key));
  return std::optional<bool>{it->value().as_bool()};
}

Result<std::optional<std::vector<std::string>>> OptionalStringArray(const boost::json::object& o,
                                                                    std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<std::vector<std::string>>{};
  if (!it->value().is_array())
    return Invalid("field must be an array of strings", std::string(key));
  std::vector<std::string> out;
  for (const auto& v : it->value().as_array()) {
    if (!v.is_string()) return Invalid("field must be an array of strings", std::string(key));
    out.emplace_back(v.as_string());
  }
  return std::optional<std::vector<std::string>>{std::move(out)};
}

bool IsExplicitNull(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_null();
}

}  // namespace caredesk::http
