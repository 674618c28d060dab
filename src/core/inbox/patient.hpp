// A patient as the inbox knows them, and the rules for their contact details. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "base/ids.hpp"
#include "base/time.hpp"
#include "core/inbox/types.hpp"

namespace caredesk::core {

struct Patient {
  PatientId id;
  std::string name;                          // may be empty for an unknown sender
  std::optional<std::string> date_of_birth;  // "YYYY-MM-DD"
  std::optional<std::string> phone;          // E.164
  std::optional<std::string> email;          // normalized (trimmed, lowercase)
  std::string language = "en";               // BCP 47 primary tag, e.g. "en", "es"
  std::optional<Channel> preferred_channel;
  bool consent_sms = false;    // may receive non-urgent texts
  bool consent_email = false;  // may receive non-urgent email
  // The chat or web visitor id whose first message created this record: later messages from
  // that visitor thread here. Set only at creation; never matched by claimed phone or email.
  std::optional<std::string> visitor_id;
  Timestamp created_at{};
  Timestamp updated_at{};
};

// Lowercases and trims; kInvalid (field `field`) unless it has the shape local@domain.tld.
Result<std::string> NormalizeEmail(std::string_view input, std::string_view field = "email");
// kInvalid unless "YYYY-MM-DD", a real calendar date, not after `today` and not before 1900.
Result<void> ValidateDateOfBirth(std::string_view dob, Timestamp today);
// kInvalid unless a BCP 47-like tag ("en", "es", "pt-BR").
Result<void> ValidateLanguage(std::string_view tag);
// Checks every field of a patient about to be stored. Lengths: name <= 200 bytes.
Result<void> ValidatePatient(const Patient& p, Timestamp now);

}  // namespace caredesk::core
