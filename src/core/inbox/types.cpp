#include "core/inbox/types.hpp"

#include <array>
#include <utility>

namespace caredesk::core {
namespace {

template <class E, std::size_t N>
using Names = std::array<std::pair<E, std::string_view>, N>;

constexpr Names<Channel, 5> kChannels{{{Channel::kChat, "chat"},
                                       {Channel::kSms, "sms"},
                                       {Channel::kEmail, "email"},
                                       {Channel::kPhone, "phone"},
                                       {Channel::kWeb, "web"}}};
constexpr Names<Status, 4> kStatuses{{{Status::kOpen, "open"},
                                      {Status::kPending, "pending"},
                                      {Status::kResolved, "resolved"},
                                      {Status::kClosed, "closed"}}};
constexpr Names<Priority, 4> kPriorities{{{Priority::kLow, "low"},
                                          {Priority::kNormal, "normal"},
                                          {Priority::kHigh, "high"},
                                          {Priority::kUrgent, "urgent"}}};
constexpr Names<Category, 8> kCategories{{{Category::kUncategorized, "uncategorized"},
                                          {Category::kAppointment, "appointment"},
                                          {Category::kBilling, "billing"},
                                          {Category::kPrescription, "prescription"},
                                          {Category::kReferral, "referral"},
                                          {Category::kRecords, "records"},
                                          {Category::kClinicalQuestion, "clinical_question"},
                                          {Category::kOther, "other"}}};
constexpr Names<MessageKind, 3> kKinds{{{MessageKind::kInbound, "inbound"},
                                        {MessageKind::kOutbound, "outbound"},
                                        {MessageKind::kNote, "note"}}};
constexpr Names<DeliveryStatus, 7> kDelivery{{{DeliveryStatus::kReceived, "received"},
                                              {DeliveryStatus::kQueued, "queued"},
                                              {DeliveryStatus::kSent, "sent"},
                                              {DeliveryStatus::kDelivered, "delivered"},
                                              {DeliveryStatus::kUndelivered, "undelivered"},
                                              {DeliveryStatus::kFailed, "failed"},
                                              {DeliveryStatus::kRead, "read"}}};
constexpr Names<Role, 5> kRoles{{{Role::kAgent, "agent"},
                                 {Role::kSupervisor, "supervisor"},
                                 {Role::kCounselor, "counselor"},
                                 {Role::kAdmin, "admin"},
                                 {Role::kAuditor, "auditor"}}};

template <class E, std::size_t N>
std::string_view Lookup(const Names<E, N>& names, E v) {
  for (const auto& [e, n] : names) {
    if (e == v) return n;
  }
  return "unknown";
}
template <class E, std::size_t N>
std::optional<E> Parse(const Names<E, N>& names, std::string_view s) {
  for (const auto& [e, n] : names) {
    if (n == s) return e;
  }
  return std::nullopt;
}

}  // namespace

std::string_view Name(Channel v) { return Lookup(kChannels, v); }
std::string_view Name(Status v) { return Lookup(kStatuses, v); }
std::string_view Name(Priority v) { return Lookup(kPriorities, v); }
std::string_view Name(Category v) { return Lookup(kCategories, v); }
std::string_view Name(MessageKind v) { return Lookup(kKinds, v); }
std::string_view Name(DeliveryStatus v) { return Lookup(kDelivery, v); }
std::string_view Name(Role v) { return Lookup(kRoles, v); }

std::optional<Channel> ParseChannel(std::string_view s) { return Parse(kChannels, s); }
std::optional<Status> ParseStatus(std::string_view s) { return Parse(kStatuses, s); }
std::optional<Priority> ParsePriority(std::string_view s) { return Parse(kPriorities, s); }
std::optional<Category> ParseCategory(std::string_view s) { return Parse(kCategories, s); }
std::optional<MessageKind> ParseMessageKind(std::string_view s) { return Parse(kKinds, s); }
std::optional<DeliveryStatus> ParseDeliveryStatus(std::string_view s) {
  return Parse(kDelivery, s);
}
std::optional<Role> ParseRole(std::string_view s) { return Parse(kRoles, s); }

}  // namespace caredesk::core
