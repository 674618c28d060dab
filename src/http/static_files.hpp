// The browser code the binary serves (web/dist, built by Vite): the patients' chat widget now,
// the console next. Read once at start into memory and answered from there on the I/O threads;
// only the files listed here are served, so nothing else under the directory can leak.
// Thread-safe after Load.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "http/message.hpp"

namespace caredesk::http {

class StaticFiles {
 public:
  // Reads the known files under `root`; a missing one is served as 404 (logged once here).
  void Load(const std::string& root);
  // The answer for GET `path`, or nullopt when the path is not a static file.
  std::optional<Response> Find(std::string_view path) const;

 private:
  struct File {
    std::string content_type;
    std::string body;
    bool cross_origin = false;  // embedded in other sites' pages (the widget)
  };
  std::map<std::string, File, std::less<>> files_;
};

}  // namespace caredesk::http
