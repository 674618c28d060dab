#include "fake_twilio.hpp"

#include <boost/json/serialize.hpp>

#include <map>

#include "http/message.hpp"
#include "security/crypto.hpp"

namespace caredesk::testing {

namespace json = boost::json;

FakeTwilio::FakeTwilio(std::string account_sid, std::string auth_token)
    : account_sid_(std::move(account_sid)), auth_token_(std::move(auth_token)) {
  server_ = std::make_unique<FakeHttpServer>([this](const FakeRequest& r) { return Answer(r); });
}

std::vector<FakeTwilio::Sent> FakeTwilio::sent() const {
  std::lock_guard lock(mutex_);
  return sent_;
}

int FakeTwilio::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::string FakeTwilio::AddMedia(std::string bytes, std::string content_type) {
  std::lock_guard lock(mutex_);
  media_.emplace_back(std::move(bytes), std::move(content_type));
  return server_->origin() + "/2010-04-01/Accounts/" + account_sid_ + "/Media/" +
         std::to_string(media_.size() - 1);
}

void FakeTwilio::FailNext(int status, int code) {
  std::lock_guard lock(mutex_);
  failures_.emplace_back(status, code);
}

FakeReply FakeTwilio::Answer(const FakeRequest& request) {
  auto error = [](int status, int code, const std::string& message) {
    return FakeReply{status, json::serialize(json::object{
                                 {"code", code}, {"message", message}, {"status", status}})};
  };
  std::lock_guard lock(mutex_);
  ++requests_;
  const std::string media_prefix = "/2010-04-01/Accounts/" + account_sid_ + "/Media/";
  if (request.method == "GET" && request.target.rfind(media_prefix, 0) == 0) {
    auto auth = request.headers.find("authorization");
    if (auth == request.headers.end() ||
        auth->second != "Basic " + security::ToBase64(account_sid_ + ":" + auth_token_)) {
      return error(401, 20003, "Authenticate");
    }
    std::size_t index = std::stoul(request.target.substr(media_prefix.size()));
    if (index >= media_.size()) return error(404, 20404, "The requested resource was not found");
    return FakeReply{200, media_[index].first, media_[index].second};
  }
  if (request.method != "POST" ||
      request.target != "/2010-04-01/Accounts/" + account_sid_ + "/Messages.json") {
    return error(404, 20404, "The requested resource was not found");
  }
  auto auth = request.headers.find("authorization");
  if (auth == request.headers.end() ||
      auth->second != "Basic " + security::ToBase64(account_sid_ + ":" + auth_token_)) {
    return error(401, 20003, "Authenticate");
  }
  if (!failures_.empty()) {
    auto [status, code] = failures_.front();
    failures_.pop_front();
    return error(status, code, "Failure the test asked for");
  }
  std::map<std::string, std::string> form;
  for (auto& [k, v] : http::ParseQuery(request.body)) form[k] = v;
  const std::string& to = form["To"];
  if (to.size() < 9 || to[0] != '+') {
    return error(400, 21211, "The 'To' number " + to + " is not a valid phone number.");
  }
  if (form["Body"].empty()) return error(400, 21602, "Message body is required.");
  if (form["From"].empty() && form["MessagingServiceSid"].empty()) {
    return error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required");
  }
  std::string key;
  if (auto k = request.headers.find("idempotency-key"); k != request.headers.end()) key = k->second;
  for (const Sent& s : sent_) {
    if (!key.empty() && s.idempotency_key == key) {  // a repeat: the first message's answer
      return {201, json::serialize(json::object{{"sid", s.sid}, {"status", "queued"}})};
    }
  }
  char sid[35];
  std::snprintf(sid, sizeof sid, "SM%032zx", sent_.size() + 1);
  sent_.push_back(Sent{sid, to, form["From"], form["Body"], key, form["StatusCallback"]});
  return {201, json::serialize(json::object{{"sid", sid},
                                            {"account_sid", account_sid_},
                                            {"to", to},
                                            {"from", form["From"]},
                                            {"body", form["Body"]},
                                            {"status", "queued"},
                                            {"num_segments", "1"}})};
}

}  // namespace caredesk::testing
