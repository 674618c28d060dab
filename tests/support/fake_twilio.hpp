// A fake Twilio-compatible SMS provider on a loopback port, speaking the Messages REST API's
// wire format (POST /2010-04-01/Accounts/{sid}/Messages.json, form-encoded, HTTP Basic; JSON
// answers with "sid" or Twilio's numeric error "code"). It records what it accepted, drops a
// repeated Idempotency-Key as a provider that deduplicates would, and can be told to fail.
// Thread-safe.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fake_http.hpp"

namespace caredesk::testing {

class FakeTwilio {
 public:
  FakeTwilio(std::string account_sid, std::string auth_token);

  std::string base_url() const { return server_->origin(); }

  struct Sent {
    std::string sid, to, from, body, idempotency_key, status_callback;
  };
  std::vector<Sent> sent() const;  // accepted messages, oldest first
  int requests() const;            // every request, failed ones included
  // The next requests answer `status` with Twilio error `code` (0: none), one each, in order.
  void FailNext(int status, int code = 0);
  // Serves `bytes` at the returned URL (as Twilio serves MMS media: GET, HTTP Basic with the
  // account's credentials) with `content_type`.
  std::string AddMedia(std::string bytes, std::string content_type);

 private:
  FakeReply Answer(const FakeRequest& request);

  const std::string account_sid_, auth_token_;
  mutable std::mutex mutex_;
  std::vector<Sent> sent_;                                  // guarded by mutex_
  std::deque<std::pair<int, int>> failures_;                // guarded by mutex_
  std::vector<std::pair<std::string, std::string>> media_;  // guarded by mutex_: bytes, type
  int requests_ = 0;                                        // guarded by mutex_
  std::unique_ptr<FakeHttpServer> server_;                  // last: its thread calls Answer
};

}  // namespace caredesk::testing
