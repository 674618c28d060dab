#include "net/smtp.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>

namespace caredesk::net {

namespace {

struct Source {
  std::string_view data;
  std::size_t offset = 0;
};

std::size_t Read(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* source = static_cast<Source*>(user);
  std::size_t n = std::min(size * count, source->data.size() - source->offset);
  std::copy_n(source->data.data() + source->offset, n, buffer);
  source->offset += n;
  return n;
}

std::optional<std::string> UrlPart(CURLU* url, CURLUPart which) {
  char* value = nullptr;
  if (curl_url_get(url, which, &value, 0) != CURLUE_OK || !value) return std::nullopt;
  std::string out(value);
  curl_free(value);
  return out;
}

bool IsLoopback(std::string_view host) {
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]" || host == "::1";
}

}  // namespace

bool IsSmtpUrl(std::string_view url) {
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
  auto path = UrlPart(u, CURLUPART_PATH);
  return scheme && (*scheme == "smtp" || *scheme == "smtps") && host && !host->empty() &&
         (!path || *path == "/" || path->empty());
}

SmtpOutcome SubmitMail(const SmtpRequest& request) {
  using Kind = SmtpOutcome::Kind;
  SmtpOutcome out;
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (!IsSmtpUrl(request.url)) {
    out.kind = Kind::kRefused;
    out.error = "the SMTP server's address is not an smtp:// or smtps:// URL";
    return out;
  }
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), &curl_url_cleanup);
  curl_url_set(parsed.get(), CURLUPART_URL, request.url.c_str(), CURLU_NON_SUPPORT_SCHEME);
  const bool implicit_tls = UrlPart(parsed.get(), CURLUPART_SCHEME) == "smtps";
  const bool loopback = IsLoopback(UrlPart(parsed.get(), CURLUPART_HOST).value_or(""));

  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) {
    out.kind = Kind::kDeferred;
    out.error = "could not start an SMTP client";
    return out;
  }
  curl_slist* raw = nullptr;
  for (const std::string& r : request.recipients)
    raw = curl_slist_append(raw, ("<" + r + ">").c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> recipients(raw, &curl_slist_free_all);
  Source source{request.message};
  const std::string from = "<" + request.mail_from + ">";
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  // Patient mail never crosses a network in the clear: STARTTLS is required, except to a relay
  // on this machine, which may not offer it.
  if (!implicit_tls) {
    curl_easy_setopt(c, CURLOPT_USE_SSL,
                     static_cast<long>(loopback ? CURLUSESSL_TRY : CURLUSESSL_ALL));
  }
  if (!request.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, request.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, request.password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(c, CURLOPT_READFUNCTION, &Read);
  curl_easy_setopt(c, CURLOPT_READDATA, &source);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.message.size()));

  CURLcode rc = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  out.reply_code = static_cast<int>(code);
  if (rc == CURLE_OK) return out;
  const std::string reply = code ? " (reply " + std::to_string(code) + ")" : "";
  // All of the message went out, and then the verdict was lost: it may have been taken.
  const bool message_sent = source.offset == request.message.size() && !request.message.empty();
  if (rc == CURLE_LOGIN_DENIED) {
    out.kind = Kind::kRefused;
    out.error = "the SMTP server refused the account's credentials" + reply;
  } else if (code >= 500) {
    out.kind = Kind::kRefused;
    out.error = "the SMTP server refused the message" + reply;
  } else if (code >= 400) {
    out.kind = Kind::kDeferred;
    out.error = "the SMTP server deferred the message" + reply;
  } else if (rc == CURLE_USE_SSL_FAILED) {
    out.kind = Kind::kRefused;
    out.error = "the SMTP server does not offer STARTTLS, which is required";
  } else if (message_sent) {
    out.kind = Kind::kUnknown;
    out.error =
        std::string("the SMTP server's answer to the message was lost: ") + curl_easy_strerror(rc);
  } else {
    out.kind = Kind::kDeferred;
    out.error = std::string("could not submit to the SMTP server: ") + curl_easy_strerror(rc);
  }
  return out;
}

}  // namespace caredesk::net
