// Polling the mailboxes of practices whose mail is hosted elsewhere (their email settings'
// imap_url): every interval, each mailbox's messages that arrived since the mailbox was set up
// and are not yet flagged as taken are fetched, handed to `deliver` (as the LMTP listener hands
// its mail), and flagged once stored. A message the store cannot take now stays unflagged and
// is tried at the next poll; one refused for good (not mail, too large) is flagged
// CareDeskRefused (it stays in the mailbox, where staff can find it) so it is not tried forever.
// Several nodes may poll one mailbox: the store keeps one copy of a Message-ID. Owns one thread;
// Start/Stop from the thread that owns it.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "channels/email/lmtp.hpp"
#include "jobs/periodic.hpp"
#include "store/store.hpp"

namespace caredesk::channels {

class ImapPoller {
 public:
  // Delivers a message taken from `tenant`'s own mailbox (so it is that practice's, whatever
  // address it was sent to).
  using Deliver = std::function<LmtpVerdict(TenantId tenant, const std::string& recipient,
                                            const std::string& raw)>;

  ImapPoller(store::Store& store, Deliver deliver, std::chrono::milliseconds interval);

  void Start() { loop_.Start(); }
  void Stop() { loop_.Stop(); }
  // One pass over every practice's mailbox. Returns how many messages were taken.
  Result<int> RunOnce();

 private:
  store::Store& store_;
  Deliver deliver_;
  jobs::Periodic loop_;  // last: its thread calls RunOnce
};

}  // namespace caredesk::channels
