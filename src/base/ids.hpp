// Strong id types: a PatientId cannot be passed where a ConversationId is expected.
// Ids are positive 64-bit integers assigned by the store; 0 means "none".
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace caredesk {

template <class Tag>
struct Id {
  std::int64_t value = 0;
  constexpr Id() = default;
  constexpr explicit Id(std::int64_t v) : value(v) {}
  constexpr explicit operator bool() const { return value != 0; }
  friend constexpr auto operator<=>(const Id&, const Id&) = default;
};

using TenantId = Id<struct TenantTag>;
using UserId = Id<struct UserTag>;
using PatientId = Id<struct PatientTag>;
using ConversationId = Id<struct ConversationTag>;
using MessageId = Id<struct MessageTag>;
using LocationId = Id<struct LocationTag>;
using QueueId = Id<struct QueueTag>;
using EventId = Id<struct EventTag>;

}  // namespace caredesk

template <class Tag>
struct std::hash<caredesk::Id<Tag>> {
  std::size_t operator()(const caredesk::Id<Tag>& id) const noexcept {
    return std::hash<std::int64_t>{}(id.value);
  }
};
