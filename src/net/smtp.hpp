// Mail submission over SMTP (RFC 5321/6409) through libcurl: the practice's own mail server or
// a relay such as Postfix. Blocking: call from a job, never from an I/O thread. Thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace caredesk::net {

struct SmtpRequest {
  // smtps://HOST[:PORT] (TLS from the start, port 465 by default) or smtp://HOST[:PORT]
  // (port 25 by default, 587 for submission). smtp:// must upgrade with STARTTLS, except to a
  // loopback address (a relay on this machine), where it is used if offered.
  std::string url;
  std::string username, password;  // AUTH when a username is given
  std::string mail_from;           // the envelope sender, an address
  std::vector<std::string> recipients;
  std::string message;  // the whole message, CRLF line ends
  std::chrono::milliseconds timeout{30000};
};

struct SmtpOutcome {
  enum class Kind {
    kAccepted,  // the server took responsibility for the message (250 after DATA)
    kDeferred,  // not taken, try later: unreachable, or a 4xx reply
    kRefused,   // not taken, and it never will be as it is: a 5xx reply, refused credentials
    kUnknown,   // the message went out but the server's verdict did not come back
  } kind = Kind::kAccepted;
  int reply_code = 0;  // the server's last reply code, 0 if none
  std::string error;   // PHI-free: what failed and the reply code, never the server's text
};

SmtpOutcome SubmitMail(const SmtpRequest& request);

// Whether `url` is an smtp:// or smtps:// URL with a host, no credentials, path or query.
bool IsSmtpUrl(std::string_view url);

}  // namespace caredesk::net
