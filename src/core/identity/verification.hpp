// Identity verification before disclosure: the rules, without I/O. The server compares what a
// caller states with the record and answers only "matches" or "does not match"; sends a
// one-time code to a contact already on the record; and tells the agent what may be said.
// Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ids.hpp"
#include "base/time.hpp"
#include "core/inbox/patient.hpp"

namespace caredesk::core {

// What a verified person may be told. A patient verified in their own right: everything; an
// authorized representative: the scope recorded for them.
enum class Disclosure { kScheduling, kBilling, kClinical, kRecords };
std::string_view Name(Disclosure d);
std::optional<Disclosure> ParseDisclosure(std::string_view text);
inline constexpr Disclosure kAllDisclosures[] = {Disclosure::kScheduling, Disclosure::kBilling,
                                                 Disclosure::kClinical, Disclosure::kRecords};

// A relative or caregiver the patient authorized, with what they may be told.
struct Representative {
  std::int64_t id = 0;
  PatientId patient;
  std::string name;
  std::string relationship;  // "spouse", "parent", "caregiver", ...
  std::optional<std::string> date_of_birth, phone, email;
  std::vector<Disclosure> scope;
  Timestamp created_at{};
  std::optional<Timestamp> revoked_at;
};

// One verification of one person in one conversation.
struct Verification {
  enum class State { kStarted, kDetailsMatched, kCodeSent, kVerified, kFailed };
  std::int64_t id = 0;
  ConversationId conversation;
  PatientId patient;
  std::int64_t representative_id = 0;  // 0: the patient themselves
  State state = State::kStarted;
  int failures = 0;          // mismatched details and wrong codes
  std::string code_hash;     // of the one-time code sent, while it is valid
  std::string code_channel;  // "sms" or "email"
  std::optional<Timestamp> details_matched_at, code_expires_at, verified_at, expires_at;
  std::string flag_reason;  // set when it looks like social engineering
  UserId started_by;
  Timestamp created_at{};
};
std::string_view Name(Verification::State s);
std::optional<Verification::State> ParseVerificationState(std::string_view text);

inline constexpr int kMaxVerificationFailures = 3;
inline constexpr Millis kDetailsValidFor = std::chrono::minutes(15);  // to ask for a code
inline constexpr Millis kCodeValidFor = std::chrono::minutes(10);
inline constexpr Millis kVerifiedFor = std::chrono::hours(8);

// Names match when their words match, ignoring case, order, punctuation and Spanish accents
// ("maria lopez" matches "López, María"). Empty never matches.
bool NamesMatch(std::string_view claimed, std::string_view on_record);
// Dates match when both parse ("YYYY-MM-DD", "MM/DD/YYYY", "M/D/YYYY") to the same day.
bool BirthDatesMatch(std::string_view claimed, std::string_view on_record);

// Whether the verification is in force at `now`.
bool IsVerified(const Verification& v, Timestamp now);
// What the person in the conversation may be told now: nothing before verification.
std::vector<Disclosure> MayDisclose(const std::optional<Verification>& v,
                                    const std::optional<Representative>& rep, Timestamp now);

// What of the record a reply would disclose that `allowed` does not cover: "date_of_birth",
// "phone", "email" (the record's own values, in common written forms) and "clinical" (words
// of results and diagnoses), each once, in that order.
std::vector<std::string> PhiInReply(std::string_view text, const Patient& record,
                                    const std::vector<Disclosure>& allowed);

// Masks for an unverified conversation: "****-**-**", "***-***-0188", "z***@e***".
std::string MaskBirthDate(std::string_view dob);
std::string MaskPhone(std::string_view e164);
std::string MaskEmail(std::string_view email);

}  // namespace caredesk::core
