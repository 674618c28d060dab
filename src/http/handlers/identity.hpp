// What identity verification lets an agent see and say in a conversation; used by the
// conversation view and the reply check (handlers/identity.cpp has the routes).
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <vector>

#include "core/identity/verification.hpp"
#include "store/store.hpp"

namespace caredesk::http {

struct DisclosureState {
  std::optional<core::Verification> verification;  // the conversation's newest
  std::optional<core::Representative> representative;
  std::vector<core::Disclosure> allowed;  // what may be told now; empty until verified
};

Result<DisclosureState> DisclosureOf(store::TenantTx& tx, ConversationId conversation,
                                     Timestamp now);
// The verification block of the API: state, what may and may not be said, guidance.
boost::json::object DisclosureView(const DisclosureState& d, Timestamp now);
// PatientView with date of birth, phone and email masked unless records may be disclosed.
boost::json::object MaskedPatientView(const core::Patient& p,
                                      const std::vector<core::Disclosure>& allowed);

}  // namespace caredesk::http
