// Strict reading of JSON request bodies: the body must be valid UTF-8 and a JSON object, every
// field must be known, and each must have its documented type. Errors name the field.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace caredesk::http {

// Parses `body` as a JSON object whose keys are all in `allowed`. Nesting is limited to 16
// levels. kInvalid with a message naming the problem (and the field for unknown keys).
Result<boost::json::object> ParseObject(std::string_view body,
                                        std::initializer_list<std::string_view> allowed,
                                        std::string_view field_prefix = "");
Result<void> CheckKeys(const boost::json::object& o,
                       std::initializer_list<std::string_view> allowed,
                       std::string_view field_prefix = "");

// Field readers. Absent (or null, for the optional forms) gives nullopt; a present value of
// the wrong type is kInvalid naming the field.
Result<std::string> RequireString(const boost::json::object& o, std::string_view key);
Result<std::optional<std::string>> OptionalString(const boost::json::object& o,
                                                  std::string_view key);
Result<std::optional<std::int64_t>> OptionalInt(const boost::json::object& o, std::string_view key);
Result<std::optional<bool>> OptionalBool(const boost::json::object& o, std::string_view key);
Result<std::optional<std::vector<std::string>>> OptionalStringArray(const boost::json::object& o,
                                                                    std::string_view key);
// True when the key is present with an explicit null (PATCH: clear the field).
bool IsExplicitNull(const boost::json::object& o, std::string_view key);

}  // namespace caredesk::http
