// Reading a mailbox over IMAP (RFC 9051) through libcurl, for practices whose mail is hosted
// (Microsoft 365, Google Workspace, their IT's Dovecot): which messages are unread, a message
// without marking it read, and marking it read once it is safely stored. Blocking: call from a
// job. One session per object, reused across its calls; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace caredesk::net {

struct ImapAccount {
  // imaps://HOST[:PORT]/MAILBOX (TLS from the start) or imap://HOST[:PORT]/MAILBOX (STARTTLS
  // required, except to this machine). The mailbox defaults to INBOX.
  std::string url;
  std::string username, password;
  std::chrono::milliseconds timeout{30000};
  std::size_t max_message_bytes = std::size_t{40} << 20;
};

class ImapSession {
 public:
  explicit ImapSession(ImapAccount account);
  ~ImapSession();
  ImapSession(const ImapSession&) = delete;
  ImapSession& operator=(const ImapSession&) = delete;

  // UIDs of the messages that arrived on or after `since` (an IMAP date, "29-Nov-2026") and do
  // not carry kStoredKeyword yet, oldest first. Read or unread does not matter: staff may read
  // the mailbox too. kUnavailable when the server cannot be reached or refuses the login (the
  // error says which, never the password).
  [[nodiscard]] Result<std::vector<std::uint64_t>> Pending(std::string_view since);
  // The whole message (libcurl's fetch also marks it \Seen). kNotFound when it is gone.
  [[nodiscard]] Result<std::string> Fetch(std::uint64_t uid);
  // Flags the message with `keyword` (kStoredKeyword once it is safely stored, kRefusedKeyword
  // when it never will be), so it is not taken again. A crash between Fetch and this fetches
  // it again next time; the store drops the repeat. Fails on a server that does not keep
  // custom keywords (no \\* in its PERMANENTFLAGS).
  [[nodiscard]] Result<void> Mark(std::uint64_t uid, std::string_view keyword);

  static constexpr std::string_view kStoredKeyword = "CareDeskStored";
  static constexpr std::string_view kRefusedKeyword = "CareDeskRefused";

 private:
  Result<std::string> Perform(const std::string& url, const std::string& custom_request,
                              std::size_t limit);

  ImapAccount account_;
  std::string mailbox_url_;  // the account's URL with the mailbox
  void* curl_ = nullptr;     // CURL*, reused so the connection and login are too
};

// "29-Nov-2026", the date form IMAP's SEARCH SINCE takes, of a "2026-11-29" date; "" if
// malformed.
std::string ImapDate(std::string_view iso_date);

// Whether `url` is an imap:// or imaps:// URL with a host and no credentials.
bool IsImapUrl(std::string_view url);

}  // namespace caredesk::net
