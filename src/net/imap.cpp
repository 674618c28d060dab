#include "net/imap.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <mutex>
#include <optional>

namespace caredesk::net {

namespace {

struct Sink {
  std::string* out;
  std::size_t limit;
  bool overflow = false;
};

std::size_t Write(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  std::size_t n = size * count;
  if (sink->out->size() + n > sink->limit) {
    sink->overflow = true;
    return 0;
  }
  sink->out->append(data, n);
  return n;
}

std::optional<std::string> UrlPart(CURLU* url, CURLUPart which) {
  char* value = nullptr;
  if (curl_url_get(url, which, &value, 0) != CURLUE_OK || !value) return std::nullopt;
  std::string out(value);
  curl_free(value);
  return out;
}

CURL* Handle(void* p) { return static_cast<CURL*>(p); }

}  // namespace

bool IsImapUrl(std::string_view url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), &curl_url_cleanup);
  if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, std::string(url).c_str(),
                              CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
    return false;
  }
  CURLU* u = parsed.get();
  if (UrlPart(u, CURLUPART_USER) || UrlPart(u, CURLUPART_PASSWORD) ||
      UrlPart(u, CURLUPART_OPTIONS) || UrlPart(u, CURLUPART_QUERY) ||
      UrlPart(u, CURLUPART_FRAGMENT)) {
    return false;
  }
  auto scheme = UrlPart(u, CURLUPART_SCHEME);
  auto host = UrlPart(u, CURLUPART_HOST);
  auto path = UrlPart(u, CURLUPART_PATH).value_or("/");
  return scheme && (*scheme == "imap" || *scheme == "imaps") && host && !host->empty() &&
         path.find(';') == std::string::npos;
}

ImapSession::ImapSession(ImapAccount account) : account_(std::move(account)) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  mailbox_url_ = account_.url;
  while (mailbox_url_.ends_with('/')) mailbox_url_.pop_back();
  // imap://host:port has no mailbox: INBOX.
  if (mailbox_url_.find('/', mailbox_url_.find("://") + 3) == std::string::npos) {
    mailbox_url_ += "/INBOX";
  }
  curl_ = curl_easy_init();
}

ImapSession::~ImapSession() {
  if (curl_) curl_easy_cleanup(Handle(curl_));
}

Result<std::string> ImapSession::Perform(const std::string& url, const std::string& custom_request,
                                         std::size_t limit) {
  if (!curl_) return Unavailable("could not start an IMAP client");
  if (!IsImapUrl(account_.url)) return Invalid("the IMAP address is not an imap(s):// URL");
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), &curl_url_cleanup);
  curl_url_set(parsed.get(), CURLUPART_URL, account_.url.c_str(), CURLU_NON_SUPPORT_SCHEME);
  const bool implicit_tls = UrlPart(parsed.get(), CURLUPART_SCHEME) == "imaps";
  const std::string host = UrlPart(parsed.get(), CURLUPART_HOST).value_or("");
  const bool loopback = host == "127.0.0.1" || host == "localhost" || host == "[::1]";
  std::string out;
  Sink sink{&out, limit};
  CURL* c = Handle(curl_);
  curl_easy_reset(c);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "imap,imaps");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(account_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  // Patient mail never crosses a network in the clear: STARTTLS is required, except to this
  // machine.
  if (!implicit_tls) {
    curl_easy_setopt(c, CURLOPT_USE_SSL,
                     static_cast<long>(loopback ? CURLUSESSL_TRY : CURLUSESSL_ALL));
  }
  curl_easy_setopt(c, CURLOPT_USERNAME, account_.username.c_str());
  curl_easy_setopt(c, CURLOPT_PASSWORD, account_.password.c_str());
  if (!custom_request.empty()) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, custom_request.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  CURLcode rc = curl_easy_perform(c);
  if (sink.overflow) return MakeError(ErrorKind::kTooLarge, "the message is too large to take");
  if (rc == CURLE_LOGIN_DENIED) return Unavailable("the IMAP server refused the login");
  if (rc == CURLE_USE_SSL_FAILED) {
    return Unavailable("the IMAP server does not offer STARTTLS, which is required");
  }
  if (rc != CURLE_OK) return Unavailable(std::string("IMAP failed: ") + curl_easy_strerror(rc));
  return out;
}

Result<std::vector<std::uint64_t>> ImapSession::Pending(std::string_view since) {
  std::string search = "UID SEARCH UNKEYWORD " + std::string(kStoredKeyword) + " UNKEYWORD " +
                       std::string(kRefusedKeyword);
  if (!since.empty()) search += " SINCE " + std::string(since);
  CD_TRY_ASSIGN(std::string answer, Perform(mailbox_url_, search, std::size_t{1} << 20));
  std::vector<std::uint64_t> uids;
  auto at = answer.find("* SEARCH");
  if (at == std::string::npos) return uids;
  std::string_view rest(answer);
  rest.remove_prefix(at + 8);
  rest = rest.substr(0, rest.find('\r'));
  while (!rest.empty()) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    std::uint64_t uid = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), uid);
    if (ec != std::errc()) break;
    uids.push_back(uid);
    rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
  }
  std::sort(uids.begin(), uids.end());
  return uids;
}

Result<std::string> ImapSession::Fetch(std::uint64_t uid) {
  CD_TRY_ASSIGN(std::string message, Perform(mailbox_url_ + "/;UID=" + std::to_string(uid), "",
                                             account_.max_message_bytes));
  if (message.empty()) return NotFound("the message is gone");
  return message;
}

Result<void> ImapSession::Mark(std::uint64_t uid, std::string_view keyword) {
  CD_TRY(Perform(mailbox_url_,
                 "UID STORE " + std::to_string(uid) + " +FLAGS (" + std::string(keyword) + ")",
                 std::size_t{1} << 20));
  return {};
}

std::string ImapDate(std::string_view iso) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (iso.size() != 10 || iso[4] != '-' || iso[7] != '-') return {};
  int month = (iso[5] - '0') * 10 + (iso[6] - '0');
  if (month < 1 || month > 12) return {};
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (iso[i] < '0' || iso[i] > '9') return {};
  }
  return std::string(iso.substr(8, 2)) + "-" + kMonths[month - 1] + "-" +
         std::string(iso.substr(0, 4));
}

}  // namespace caredesk::net
