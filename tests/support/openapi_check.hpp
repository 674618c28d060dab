// Checks real responses against the served OpenAPI 3 document, so the document cannot drift
// from what the server answers. Understands the subset of JSON Schema the document uses:
// $ref, allOf, type, nullable, enum, required, properties, additionalProperties, items,
// maxItems, maxLength, minimum, maximum.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace caredesk::testing {

class OpenApiCheck {
 public:
  explicit OpenApiCheck(boost::json::value document);

  // Problems with one response, empty when it conforms:
  // - a path the document does not list is not checked (the router answers 404 for it);
  // - a 2xx status must be listed for the operation, and its JSON body must match the schema;
  // - any 4xx or 5xx body must match the Error schema.
  std::vector<std::string> Check(std::string_view method, std::string_view target, int status,
                                 std::string_view body) const;

  // Problems with `value` against `schema` (which may be a $ref); `where` prefixes messages.
  std::vector<std::string> Validate(const boost::json::value& schema,
                                    const boost::json::value& value,
                                    const std::string& where) const;

  // The document's path template that `path` matches ("/a/{id}" matches "/a/12"), or "".
  std::string TemplateOf(std::string_view path) const;

 private:
  // Whether the operation documents only non-JSON bodies for `status` (a page, TwiML, a file,
  // Prometheus text).
  bool DocumentsMarkup(std::string_view method, const std::string& pattern, int status) const;
  const boost::json::value& Resolve(const boost::json::value& maybe_ref) const;
  void ValidateInto(const boost::json::value& schema, const boost::json::value& value,
                    const std::string& where, std::vector<std::string>& out) const;

  boost::json::value document_;
};

}  // namespace caredesk::testing
