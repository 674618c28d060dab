#include "http/static_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/log.hpp"
#include "http/status.hpp"

namespace caredesk::http {

namespace {
struct Known {
  std::string_view path, file, content_type;
  bool cross_origin, page;
};
// Public code, no patient information: browsers and proxies may keep the widget a few minutes,
// so a practice's every page view does not fetch it again. The console's page is checked
// every time so a new version is picked up at once; the files it names carry a content hash
// in their names and never change.
constexpr std::string_view kShortCache = "public, max-age=300";
constexpr std::string_view kRevalidate = "no-cache";
constexpr std::string_view kForever = "public, max-age=31536000, immutable";
constexpr Known kKnown[] = {
    {"/widget.js", "widget.js", "text/javascript; charset=utf-8", true, false},
    {"/", "index.html", "text/html; charset=utf-8", false, true},
};

// The console talks only to its own origin (HTTP and WebSocket), loads only its own files and
// cannot be framed; notification sounds are generated, pictures are the server's attachments.
constexpr std::string_view kConsolePolicy =
    "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

std::optional<std::string_view> AssetType(const std::filesystem::path& file) {
  const std::string ext = file.extension().string();
  if (ext == ".js") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".woff2") return "font/woff2";
  return std::nullopt;
}

std::optional<std::string> ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream body;
  body << in.rdbuf();
  return body.str();
}
}  // namespace

void StaticFiles::Load(const std::string& root) {
  for (const Known& k : kKnown) {
    auto body = ReadAll(std::filesystem::path(root) / k.file);
    if (!body) {
      log::Warn("static_file_missing", {{"file", k.file}, {"root", root}});
      continue;
    }
    files_[std::string(k.path)] =
        File{std::string(k.content_type), std::move(*body),
             std::string(k.cross_origin ? kShortCache : kRevalidate), k.cross_origin, k.page};
  }
  // Vite's output for the console: flat, hashed names such as assets/index-4f2a9c1b.js.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root + "/assets", ec)) {
    if (!entry.is_regular_file()) continue;
    auto type = AssetType(entry.path());
    if (!type) continue;
    if (auto body = ReadAll(entry.path())) {
      files_["/assets/" + entry.path().filename().string()] =
          File{std::string(*type), std::move(*body), std::string(kForever), false, false};
    }
  }
}

std::optional<Response> StaticFiles::Find(std::string_view path) const {
  auto it = files_.find(path);
  if (it == files_.end()) {
    for (const Known& k : kKnown) {
      if (k.path == path) {
        return ErrorResponse(
            NotFound("the web files are not built (scripts/build.sh builds them)"));
      }
    }
    return std::nullopt;
  }
  Response r;
  r.status = 200;
  r.headers.Set("Content-Type", it->second.content_type);
  r.headers.Set("Cache-Control", it->second.cache_control);
  if (it->second.cross_origin) {
    r.headers.Set("Cross-Origin-Resource-Policy", "cross-origin");
    r.headers.Set("Access-Control-Allow-Origin", "*");
  }
  if (it->second.page) r.headers.Set("Content-Security-Policy", std::string(kConsolePolicy));
  r.body = it->second.body;
  return r;
}

}  // namespace caredesk::http
