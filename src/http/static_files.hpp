// The browser code the binary serves (web/dist, built by Vite): the patients' chat widget
// (/widget.js, loaded by practices' own sites) and the agent console (/ and its /assets/).
// Read once at start into memory and answered from there on the I/O threads; only the files
// named here and Vite's hashed files under assets/ are served, so nothing else can leak.
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
    std::string cache_control;
    bool cross_origin = false;  // embedded in other sites' pages (the widget)
    bool page = false;          // an HTML page: gets the console's Content-Security-Policy
  };
  std::map<std::string, File, std::less<>> files_;
};

}  // namespace caredesk::http
