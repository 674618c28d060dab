#include "http/static_files.hpp"

#include <fstream>
#include <sstream>

#include "base/log.hpp"
#include "http/status.hpp"

namespace caredesk::http {

namespace {
struct Known {
  std::string_view path, file, content_type;
  bool cross_origin;
};
constexpr Known kKnown[] = {
    {"/widget.js", "widget.js", "text/javascript; charset=utf-8", true},
};
}  // namespace

void StaticFiles::Load(const std::string& root) {
  for (const Known& k : kKnown) {
    std::ifstream in(root + "/" + std::string(k.file), std::ios::binary);
    if (!in) {
      log::Warn("static_file_missing", {{"file", k.file}, {"root", root}});
      continue;
    }
    std::ostringstream body;
    body << in.rdbuf();
    files_[std::string(k.path)] = File{std::string(k.content_type), body.str(), k.cross_origin};
  }
}

std::optional<Response> StaticFiles::Find(std::string_view path) const {
  const Known* known = nullptr;
  for (const Known& k : kKnown) {
    if (k.path == path) known = &k;
  }
  if (!known) return std::nullopt;
  auto it = files_.find(path);
  if (it == files_.end()) {
    return ErrorResponse(NotFound("the web files are not built (scripts/build.sh builds them)"));
  }
  Response r;
  r.status = 200;
  r.headers.Set("Content-Type", it->second.content_type);
  // Public code, no patient information: browsers and proxies may keep it a few minutes, so a
  // practice's every page view does not fetch it again.
  r.headers.Set("Cache-Control", "public, max-age=300");
  if (it->second.cross_origin) {
    r.headers.Set("Cross-Origin-Resource-Policy", "cross-origin");
    r.headers.Set("Access-Control-Allow-Origin", "*");
  }
  r.body = it->second.body;
  return r;
}

}  // namespace caredesk::http
