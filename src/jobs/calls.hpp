// Phone calls into CareDesk, shared by the queue-log importer (app/) and POST /api/v1/calls
// (http/): events stored once each, every call they touch folded again from all its events, and
// a callback task opened in the inbox for a known caller who was not answered. The caller's
// number only finds (or creates) the patient; it is not stored with the call.
// Thread-safe: each call is one store write.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "core/calls/call.hpp"
#include "store/store.hpp"

namespace caredesk::jobs {

// One event as a phone system reported it.
struct IncomingPhoneEvent {
  store::PhoneEvent event;  // `patient` is filled in from `caller`
  std::string caller;       // enter: the caller's number as given ("" or "anonymous": none)
};

struct PhoneIntake {
  int events_added = 0;
  int duplicates = 0;        // events stored before (a log read again)
  int calls_changed = 0;     // calls whose record was created or changed
  int callbacks_opened = 0;  // callback tasks opened in the inbox
};

// How calls become callback tasks, besides core::PhoneRules.
struct CallbackOptions {
  core::PhoneRules rules;
  // A missed call older than this when it is read (a month of history imported at once) counts
  // in the KPIs but opens no task: nobody should call back a patient weeks later unprompted.
  Millis open_within = std::chrono::hours(24);
  std::string default_country = "1";  // for callers' numbers given without a country code
};

// Stores `events` for `tenant` in one write and folds again each call they touch. kInvalid for
// an event without a kind this knows; nothing of the batch is stored then.
Result<PhoneIntake> AddPhoneEvents(store::Store& store, TenantId tenant,
                                   const std::vector<IncomingPhoneEvent>& events,
                                   const CallbackOptions& options, Timestamp now);

struct PostedCallResult {
  store::CallRecord record;
  bool created = false;          // false: the same id was posted before and is replaced
  bool callback_opened = false;  // this post opened the record's callback task
};

// Stores a call record a phone system posted whole (checked with core::PostedCall), replacing
// one posted before with the same `call.ref`, and opens its callback task if it needs one and
// has none yet. `caller`: the caller's number, "" if not given.
Result<PostedCallResult> RecordPostedCall(store::Store& store, TenantId tenant,
                                          const core::Call& call, std::string_view caller,
                                          const CallbackOptions& options, Timestamp now);

// The sentence a callback task opens with, e.g. "Missed call: the caller hung up after 45 s
// waiting in the queue support." No patient information.
std::string CallbackText(const core::Call& call);

}  // namespace caredesk::jobs
