// What a handler receives: the store, the clock, the caller and the request, plus the path
// parameters captured by the router. Handlers return a Response or an Error; api.cpp maps
// errors to statuses.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "http/api.hpp"
#include "http/message.hpp"
#include "http/audit_trail.hpp"
#include "http/oidc.hpp"
#include "http/page_cache.hpp"
#include "store/store.hpp"

namespace caredesk::http {

struct Context {
  store::Store& store;
  const ApiOptions& options;
  const store::Principal& who;
  Request& request;
  std::vector<std::int64_t> ids;  // numeric path parameters, in order
  Timestamp now;
  PageCache& inbox_pages;  // rendered inbox pages (see ListConversations)
  AuditTrail& audit;       // reads of patient information go here (changes: AppendAudit)
  OidcRelyingParty& oidc;  // sign-in through the practice's identity provider
  Hub* hub = nullptr;      // connected consoles and widgets; push to them after a commit
  const RequestMetrics* metrics = nullptr;  // what the API answered (for /metrics)
};

// "Minimum necessary": agents and counselors who serve named queues see only conversations in
// those queues. Everyone else (and an agent with no queues named) sees every queue.
inline bool RestrictedToQueues(const store::Principal& who) {
  return (who.role == core::Role::kAgent || who.role == core::Role::kCounselor) &&
         !who.queues.empty();
}
inline bool SeesQueue(const store::Principal& who, std::string_view queue) {
  return !RestrictedToQueues(who) ||
         std::find(who.queues.begin(), who.queues.end(), queue) != who.queues.end();
}

// An audit record of this request's caller, session, address and time.
store::AuditRecord AuditOf(const Context& ctx, std::string action, std::string object_type,
                           std::int64_t object_id, PatientId patient, std::string detail = {});

inline constexpr std::string_view kSessionCookie = "caredesk_session";

// Query-string values (handlers/query.cpp): kInvalid naming `field` unless `value` is a whole
// number, or a finite number, within [lo, hi].
Result<int> QueryInt(std::string_view value, int lo, int hi, const char* field);
Result<double> QueryNumber(std::string_view value, double lo, double hi, const char* field);
// A local day (days since 1970-01-01) as YYYY-MM-DD.
std::string DayText(std::int32_t day);
// kInvalid naming `field` unless `id` is one of the practice's own locations
// (handlers/settings.cpp).
Result<void> RequireOwnLocation(store::TenantTx& tx, LocationId id, const char* field);

// A new browser session for `user` of `tenant`, opened in one transaction with `first` (which
// checks and uses a second factor, and names how the user signed in for the audit log): the
// session the browser sent is ended, the user's oldest sessions beyond the cap are ended, and
// the sign-in is audited. Fails with `first`'s error and changes nothing then.
struct BrowserSession {
  std::string cookie;  // the Set-Cookie value
  std::string csrf_token;
  Timestamp expires_at;
  bool second_factor_pending = false;
};
Result<BrowserSession> OpenBrowserSession(
    Context& ctx, TenantId tenant, UserId user, bool second_factor_pending,
    const std::function<Result<std::string>(store::TenantTx&)>& first);

struct Inbound;  // handlers/inbound.hpp
struct StoredInbound {
  int status = 201;  // 200: a repeat of an earlier delivery, answered as it was
  std::string body;  // the JSON answer (message, conversation and patient ids)
};
// Stores an inbound message for `tenant` (handlers/messages.cpp): finds or creates the
// patient, opens or reopens the conversation, in one transaction. With `key`, a repeat of a
// delivery (same key and `request_hash`) stores nothing and gets the first answer; the same key
// with another hash is kConflict.
// `also`, when given, runs in the same transaction after the message is stored and may add
// fields to the answer (the chat widget records its chat there).
using InboundHook = std::function<Result<void>(store::TenantTx&, const core::Conversation&,
                                               const core::Message&, boost::json::object&)>;
// The JSON answer StoreInbound gave, as the response.
Response StoredResponse(StoredInbound stored);
Result<StoredInbound> StoreInbound(Context& ctx, TenantId tenant, const Inbound& in,
                                   const std::optional<std::string>& key,
                                   const std::string& request_hash,
                                   const InboundHook& also = nullptr);

// Pushes to connected consoles and widgets, after the change has committed
// (handlers/realtime.cpp). Staff see their practice's messages and changes in the queues they
// serve; a patient's widget sees the practice's messages in its chat and the chat's state.
void PushMessage(Context& ctx, TenantId tenant, std::string_view queue, const core::Message& m,
                 std::string_view author_name);
void PushConversation(Context& ctx, TenantId tenant, const boost::json::object& view);
// "Chats changed": consoles fetch their offers and the live view again.
void PushChats(Hub& hub, TenantId tenant);
// "A number's text consent changed" (STOP, START): consoles fetch an open text conversation
// again. Carries no number: which patient is not needed to refresh what is on screen.
void PushConsent(Hub& hub, TenantId tenant);
void PushChatState(Context& ctx, TenantId tenant, const store::Chat& chat,
                   std::string_view agent_name);
// The first word of a staff member's name: what a patient is told of who answers.
std::string FirstName(std::string_view display_name);

using HandlerFn = Result<Response> (*)(Context&);
// Answers from memory alone, without the store or blocking, or nullopt to go to the HandlerFn.
using KeptFn = std::optional<Response> (*)(Context&);

Response JsonResponse(int status, const boost::json::value& body);

// Handlers, grouped by file.
Result<Response> PostMessage(Context& ctx);        // handlers/messages.cpp
Result<Response> ListConversations(Context& ctx);  // handlers/conversations.cpp
std::optional<Response> ListConversationsKept(Context& ctx);
Result<Response> GetConversation(Context& ctx);
Result<Response> PostReply(Context& ctx);
Result<Response> GetAttachment(Context& ctx);
Result<Response> StartConversation(Context& ctx);
Result<Response> PostNote(Context& ctx);
Result<Response> PostAssign(Context& ctx);
Result<Response> PostStatus(Context& ctx);
Result<Response> PostTags(Context& ctx);
Result<Response> PostSurvey(Context& ctx);
Result<Response> ListPatients(Context& ctx);  // handlers/patients.cpp
Result<Response> CreatePatient(Context& ctx);
Result<Response> GetPatient(Context& ctx);
Result<Response> PatchPatient(Context& ctx);
Result<Response> GetSettings(Context& ctx);  // handlers/settings.cpp
Result<Response> PatchSettings(Context& ctx);
Result<Response> ListLocations(Context& ctx);
Result<Response> CreateLocation(Context& ctx);
Result<Response> PatchLocation(Context& ctx);
Result<Response> ListSlaPolicies(Context& ctx);
Result<Response> CreateSlaPolicy(Context& ctx);
Result<Response> PatchSlaPolicy(Context& ctx);
Result<Response> DeleteSlaPolicy(Context& ctx);
Result<Response> GetPatientAccessLog(Context& ctx);
Result<Response> GetMe(Context& ctx);            // handlers/session.cpp
Result<Response> StartOidcSignIn(Context& ctx);  // handlers/oidc.cpp
Result<Response> FinishOidcSignIn(Context& ctx);
Result<Response> GetOidcSettings(Context& ctx);
Result<Response> PutOidcSettings(Context& ctx);
Result<Response> GetSmsSettings(Context& ctx);  // handlers/channels.cpp
Result<Response> PutSmsSettings(Context& ctx);
Result<Response> GetEmailSettings(Context& ctx);
Result<Response> PutEmailSettings(Context& ctx);
Result<Response> TwilioStatusCallback(Context& ctx);  // handlers/webhooks.cpp
Result<Response> TwilioInboundSms(Context& ctx);
Result<Response> DeleteSession(Context& ctx);
Result<Response> ListSessions(Context& ctx);  // handlers/account.cpp
Result<Response> EndSession(Context& ctx);
Result<Response> ListTokens(Context& ctx);
Result<Response> CreateToken(Context& ctx);
Result<Response> RevokeToken(Context& ctx);
Result<Response> StartSecondFactor(Context& ctx);
Result<Response> ConfirmSecondFactor(Context& ctx);
Result<Response> NewRecoveryCodes(Context& ctx);
Result<Response> GetVerification(Context& ctx);  // handlers/identity.cpp
Result<Response> CheckVerification(Context& ctx);
Result<Response> SendVerificationCode(Context& ctx);
Result<Response> ConfirmVerification(Context& ctx);
Result<Response> ListRepresentatives(Context& ctx);
Result<Response> CreateRepresentative(Context& ctx);
Result<Response> RevokeRepresentative(Context& ctx);
Result<Response> ListAlerts(Context& ctx);
Result<Response> ListUsers(Context& ctx);  // handlers/users.cpp
Result<Response> CreateUser(Context& ctx);
Result<Response> PatchUser(Context& ctx);
Result<Response> ChangePassword(Context& ctx);
Result<Response> ResetUserSecondFactor(Context& ctx);
Result<Response> GetWidgetStatus(Context& ctx);  // handlers/chat.cpp: the patient's side
Result<Response> StartChat(Context& ctx);
Result<Response> GetChatForPatient(Context& ctx);
Result<Response> PostChatMessage(Context& ctx);
Result<Response> PostChatFile(Context& ctx);
Result<Response> PostStaffFile(Context& ctx);
// The request's body as a file someone may send: a photo or a PDF (known by its bytes), named
// by ?name= in a safe form. `refused` is the answer when it is not one: 400 when empty, 415
// for anything else.
struct UploadedFile {
  store::Attachment file;
  std::optional<Response> refused;
};
UploadedFile FileOfRequest(const Context& ctx);
Result<Response> PostChatTranscript(Context& ctx);
Result<Response> PostChatSeen(Context& ctx);
Result<Response> PostChatContact(Context& ctx);
Result<Response> LeaveChat(Context& ctx);
Result<Response> RateChat(Context& ctx);
Result<Response> GetPresence(Context& ctx);  // the staff's side
Result<Response> PutPresence(Context& ctx);
Result<Response> ListMyChats(Context& ctx);
Result<Response> AcceptChatOffer(Context& ctx);
Result<Response> ChatSeenByAgent(Context& ctx);
Result<Response> DeclineChatOffer(Context& ctx);
Result<Response> EndChatByAgent(Context& ctx);
Result<Response> AssignChat(Context& ctx);
Result<Response> GetLiveChats(Context& ctx);
Result<Response> GetChatSettings(Context& ctx);
Result<Response> PutChatSettings(Context& ctx);
Result<Response> GetKpis(Context& ctx);  // handlers/reports.cpp
Result<Response> GetKpiConversations(Context& ctx);
Result<Response> GetKpiDaily(Context& ctx);
Result<Response> GetErlang(Context& ctx);  // handlers/staffing.cpp
Result<Response> GetStaffingPlan(Context& ctx);
Result<Response> GetWellbeing(Context& ctx);
Result<Response> GetMyWellbeing(Context& ctx);
Result<Response> GetReportSettings(Context& ctx);  // handlers/settings.cpp
Result<Response> PutReportSettings(Context& ctx);
Result<Response> GetMetrics(Context& ctx);  // handlers/operations.cpp
Result<Response> PostCall(Context& ctx);    // handlers/calls.cpp
Result<Response> ListCalls(Context& ctx);
Result<Response> GetCannedResponses(Context& ctx);
Result<Response> PutCannedResponses(Context& ctx);

}  // namespace caredesk::http
