#include "support/openapi_check.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace caredesk::testing {

namespace json = boost::json;

namespace {

bool IsInteger(const json::value& v) { return v.is_int64() || v.is_uint64(); }

double AsNumber(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  return v.as_double();
}

bool HasType(const json::value& v, std::string_view type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "integer") return IsInteger(v);
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_bool();
  return false;
}

// Splits a path at '/' after the first character: "/a/b" -> {"a", "b"}.
std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    path.remove_prefix(1);
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path = path.substr(slash);
  }
  return out;
}

}  // namespace

OpenApiCheck::OpenApiCheck(json::value document) : document_(std::move(document)) {}

const json::value& OpenApiCheck::Resolve(const json::value& maybe_ref) const {
  const json::value* v = &maybe_ref;
  for (int depth = 0; depth < 8 && v->is_object() && v->as_object().contains("$ref"); ++depth) {
    std::string_view ref = v->as_object().at("$ref").as_string();
    if (!ref.starts_with("#/")) throw std::runtime_error("external $ref");
    const json::value* at = &document_;
    for (std::string_view part : Segments(ref.substr(1))) {
      at = &at->as_object().at(part);
    }
    v = at;
  }
  return *v;
}

std::string OpenApiCheck::TemplateOf(std::string_view path) const {
  auto want = Segments(path);
  for (const auto& kv : document_.at("paths").as_object()) {
    auto pattern = Segments(kv.key());
    if (pattern.size() != want.size()) continue;
    bool match = true;
    for (std::size_t i = 0; i < pattern.size() && match; ++i) {
      if (pattern[i].starts_with('{')) {
        match = !want[i].empty() && std::all_of(want[i].begin(), want[i].end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        });
      } else {
        match = pattern[i] == want[i];
      }
    }
    if (match) return std::string(kv.key());
  }
  return "";
}

std::vector<std::string> OpenApiCheck::Validate(const json::value& schema, const json::value& value,
                                                const std::string& where) const {
  std::vector<std::string> out;
  ValidateInto(schema, value, where, out);
  return out;
}

void OpenApiCheck::ValidateInto(const json::value& schema_in, const json::value& value,
                                const std::string& where, std::vector<std::string>& out) const {
  const json::object& schema = Resolve(schema_in).as_object();
  if (auto all = schema.find("allOf"); all != schema.end()) {
    for (const json::value& part : all->value().as_array()) ValidateInto(part, value, where, out);
  }
  if (value.is_null()) {
    auto nullable = schema.find("nullable");
    bool ok = nullable != schema.end() && nullable->value().as_bool();
    if (!ok && schema.contains("type")) out.push_back(where + ": null where none is allowed");
    return;
  }
  if (auto type = schema.find("type"); type != schema.end()) {
    std::string_view t = type->value().as_string();
    if (!HasType(value, t)) {
      out.push_back(where + ": expected " + std::string(t) + ", got " + json::serialize(value));
      return;
    }
  }
  if (auto e = schema.find("enum"); e != schema.end()) {
    const json::array& allowed = e->value().as_array();
    if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
      out.push_back(where + ": " + json::serialize(value) + " is not in the enum");
    }
  }
  if (value.is_string()) {
    if (auto max = schema.find("maxLength"); max != schema.end()) {
      if (static_cast<double>(value.as_string().size()) > AsNumber(max->value())) {
        out.push_back(where + ": longer than maxLength");
      }
    }
  }
  if (value.is_number()) {
    if (auto min = schema.find("minimum"); min != schema.end()) {
      if (AsNumber(value) < AsNumber(min->value())) out.push_back(where + ": below minimum");
    }
    if (auto max = schema.find("maximum"); max != schema.end()) {
      if (AsNumber(value) > AsNumber(max->value())) out.push_back(where + ": above maximum");
    }
  }
  if (value.is_array()) {
    const json::array& items = value.as_array();
    if (auto max = schema.find("maxItems"); max != schema.end()) {
      if (static_cast<double>(items.size()) > AsNumber(max->value())) {
        out.push_back(where + ": more than maxItems");
      }
    }
    if (auto item = schema.find("items"); item != schema.end()) {
      for (std::size_t i = 0; i < items.size(); ++i) {
        ValidateInto(item->value(), items[i], where + "[" + std::to_string(i) + "]", out);
      }
    }
  }
  if (value.is_object()) {
    const json::object& object = value.as_object();
    if (auto required = schema.find("required"); required != schema.end()) {
      for (const json::value& name : required->value().as_array()) {
        if (!object.contains(name.as_string())) {
          out.push_back(where + ": missing required " + std::string(name.as_string()));
        }
      }
    }
    const json::object* properties = nullptr;
    if (auto p = schema.find("properties"); p != schema.end()) properties = &p->value().as_object();
    auto additional = schema.find("additionalProperties");
    for (const auto& kv : object) {
      std::string at = where + "." + std::string(kv.key());
      if (properties) {
        if (auto p = properties->find(kv.key()); p != properties->end()) {
          ValidateInto(p->value(), kv.value(), at, out);
          continue;
        }
      }
      if (additional == schema.end()) continue;
      if (additional->value().is_bool()) {
        if (!additional->value().as_bool()) out.push_back(at + ": not in the schema");
      } else {
        ValidateInto(additional->value(), kv.value(), at, out);
      }
    }
  }
}

bool OpenApiCheck::DocumentsMarkup(std::string_view method, const std::string& pattern,
                                   int status) const {
  std::string op_name(method);
  for (char& c : op_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const json::value* op = document_.at("paths").at(pattern).as_object().if_contains(op_name);
  if (!op) return false;
  const json::value* response = op->at("responses").as_object().if_contains(std::to_string(status));
  if (!response || !response->is_object()) return false;
  const json::value* content = response->as_object().if_contains("content");
  // Pages, TwiML, files, Prometheus text: anything documented that is not JSON.
  return content && !content->as_object().empty() &&
         !content->as_object().contains("application/json");
}

std::vector<std::string> OpenApiCheck::Check(std::string_view method, std::string_view target,
                                             int status, std::string_view body) const {
  std::string_view path = target.substr(0, target.find('?'));
  std::string pattern = TemplateOf(path);
  if (pattern.empty()) return {};
  std::string where = std::string(method) + " " + pattern + " " + std::to_string(status);
  std::vector<std::string> out;
  json::value parsed;
  // A documented file or page is not JSON, even when its bytes happen to parse as JSON.
  if (status < 400 && DocumentsMarkup(method, pattern, status)) return {};
  if (!body.empty()) {
    boost::system::error_code ec;
    parsed = json::parse(body, ec);
    if (ec && !DocumentsMarkup(method, pattern, status)) return {where + ": body is not JSON"};
    if (ec) return {};  // a page for a browser or TwiML for a provider, as documented
  }
  if (status >= 400) {
    if (body.empty()) return {where + ": an error without a body"};
    ValidateInto(document_.at("components").at("schemas").at("Error"), parsed, where, out);
    return out;
  }
  std::string op_name(method);
  for (char& c : op_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (op_name == "head") op_name = "get";
  const json::object& item = document_.at("paths").at(pattern).as_object();
  auto op = item.find(op_name);
  if (op == item.end()) return {where + ": the document has no such operation"};
  const json::object& responses = op->value().at("responses").as_object();
  auto documented = responses.find(std::to_string(status));
  if (documented == responses.end()) return {where + ": status not documented"};
  const json::object& response = Resolve(documented->value()).as_object();
  auto content = response.find("content");
  if (content == response.end()) {
    if (!body.empty() && pattern.starts_with("/api/v1/"))
      out.push_back(where + ": undocumented body");
    return out;
  }
  const json::value& schema = content->value().at("application/json").at("schema");
  ValidateInto(schema, parsed, where, out);
  return out;
}

}  // namespace caredesk::testing
