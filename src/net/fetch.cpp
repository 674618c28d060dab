#include "net/fetch.hpp"

#include <curl/curl.h>

#include <memory>
#include <mutex>
#include <optional>

#include "base/text.hpp"

namespace caredesk::net {

namespace {

struct Sink {
  std::string* body;
  std::size_t limit;
  bool overflow = false;
};

std::size_t Write(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  std::size_t n = size * count;
  if (sink->body->size() + n > sink->limit) {
    sink->overflow = true;
    return 0;  // aborts the transfer
  }
  sink->body->append(data, n);
  return n;
}

std::string HostOf(std::string_view url) {
  std::size_t start = url.find("://");
  start = start == std::string_view::npos ? 0 : start + 3;
  std::size_t end = url.find_first_of("/?#", start);
  return std::string(url.substr(start, end == std::string_view::npos ? url.npos : end - start));
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

bool IsSafeServiceUrl(std::string_view url) {
  // Parsed by the same parser that will connect, so what is checked is what is reached.
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), &curl_url_cleanup);
  if (!parsed ||
      curl_url_set(parsed.get(), CURLUPART_URL, std::string(url).c_str(), 0) != CURLUE_OK) {
    return false;
  }
  auto part = [&](CURLUPart which) -> std::optional<std::string> {
    char* value = nullptr;
    if (curl_url_get(parsed.get(), which, &value, 0) != CURLUE_OK || !value) return std::nullopt;
    std::string out(value);
    curl_free(value);
    return out;
  };
  // Credentials in the URL would be sent to whichever host follows them ("http://localhost@x").
  if (part(CURLUPART_USER) || part(CURLUPART_PASSWORD) || part(CURLUPART_OPTIONS)) return false;
  auto scheme = part(CURLUPART_SCHEME);
  auto host = part(CURLUPART_HOST);
  if (!scheme || !host || host->empty()) return false;
  if (*scheme == "https") return true;
  return *scheme == "http" && (*host == "127.0.0.1" || *host == "localhost" || *host == "[::1]");
}

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) out.push_back('&');
    out += PercentEncode(name) + "=" + PercentEncode(value);
  }
  return out;
}

Result<FetchResponse> Fetch(const FetchRequest& request, bool* request_sent) {
  if (request_sent) *request_sent = false;
  GlobalInit();
  std::string lower = AsciiLower(request.url.substr(0, 8));
  if (!lower.starts_with("https://") && !lower.starts_with("http://")) {
    return Invalid("only http and https URLs can be fetched");
  }
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return Internal("could not start an HTTP client");
  FetchResponse out;
  Sink sink{&out.body, request.max_response_bytes};
  curl_slist* raw_headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    std::string line = name;
    line += ": ";
    line += value;
    raw_headers = curl_slist_append(raw_headers, line.c_str());
  }
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(raw_headers,
                                                                      &curl_slist_free_all);
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, request.max_redirects > 0 ? 1L : 0L);
  if (request.max_redirects > 0) {
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, static_cast<long>(request.max_redirects));
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
  }
  if (!request.username.empty()) {
    // libcurl sends these to the first host only (CURLOPT_UNRESTRICTED_AUTH stays off).
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(c, CURLOPT_USERNAME, request.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, request.password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "CareDesk");
  if (headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  if (request.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  } else if (request.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (!request.body.empty()) {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
    }
  }
  CURLcode rc = curl_easy_perform(c);
  long sent_bytes = 0;
  curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &sent_bytes);
  if (request_sent) *request_sent = sent_bytes > 0;
  std::string host = HostOf(request.url);
  if (sink.overflow) return Unavailable(host + " answered more than the allowed size");
  if (rc != CURLE_OK) {
    return Unavailable("could not reach " + host + ": " + curl_easy_strerror(rc));
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  out.status = static_cast<int>(status);
  char* type = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type) {
    out.content_type = type;
  }
  return out;
}

}  // namespace caredesk::net
