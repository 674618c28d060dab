// Vocabulary of the inbox shared by every capability: channels, statuses, priorities,
// categories, message kinds. Each enum has a stable wire name (used in JSON and in the
// database) and a parser that rejects anything else.
#pragma once

#include <optional>
#include <string_view>

namespace caredesk::core {

enum class Channel { kChat, kSms, kEmail, kPhone, kWeb };
enum class Status { kOpen, kPending, kResolved, kClosed };
enum class Priority { kLow, kNormal, kHigh, kUrgent };
enum class Category {
  kUncategorized,
  kAppointment,
  kBilling,
  kPrescription,
  kReferral,
  kRecords,
  kClinicalQuestion,
  kOther,
};
enum class MessageKind { kInbound, kOutbound, kNote };
enum class DeliveryStatus { kReceived, kQueued, kSent, kDelivered, kUndelivered, kFailed, kRead };
// kAuditor reads everything, including who read what, and changes nothing.
enum class Role { kAgent, kSupervisor, kCounselor, kAdmin, kAuditor };

std::string_view Name(Channel v);
std::string_view Name(Status v);
std::string_view Name(Priority v);
std::string_view Name(Category v);
std::string_view Name(MessageKind v);
std::string_view Name(DeliveryStatus v);
std::string_view Name(Role v);

std::optional<Channel> ParseChannel(std::string_view s);
std::optional<Status> ParseStatus(std::string_view s);
std::optional<Priority> ParsePriority(std::string_view s);
std::optional<Category> ParseCategory(std::string_view s);
std::optional<MessageKind> ParseMessageKind(std::string_view s);
std::optional<DeliveryStatus> ParseDeliveryStatus(std::string_view s);
std::optional<Role> ParseRole(std::string_view s);

}  // namespace caredesk::core
