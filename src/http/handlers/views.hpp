// JSON views of domain objects, as the API documents them. Timestamps are RFC 3339 UTC.
#pragma once

#include <boost/json/object.hpp>

#include "core/inbox/conversation.hpp"
#include "core/inbox/patient.hpp"
#include "http/page_cache.hpp"
#include "store/store.hpp"

namespace caredesk::http {

boost::json::object PatientView(const core::Patient& p);
boost::json::object MessageView(const core::Message& m);
boost::json::object EventView(const core::Event& e);
// A chat message as the patient's widget sees it: from "patient" or "practice", the text, the
// time and, for the patient's own, the client id the widget sent it under (so the widget can
// replace its "sending" copy). Never a note; the author's name is the caller's to add.
boost::json::object ChatMessageView(const core::Message& m);
// `sla_state` and `due_at` as stored or computed; time_left_ms is due_at - now.
boost::json::object ConversationView(const core::Conversation& c, std::string_view sla_state,
                                     std::optional<Timestamp> due_at, Timestamp now);
// The same object as ConversationView, appended as JSON text (the inbox list writes 20 to 200 of
// these per request) with time_left_ms left for PageText::Fill; `patient_name`, when given, is
// added as a last "patient_name" key.
void AppendConversationJson(PageText& out, const core::Conversation& c, std::string_view sla_state,
                            std::optional<Timestamp> due_at,
                            std::optional<std::string_view> patient_name);
boost::json::value TimeOrNull(std::optional<Timestamp> t);

}  // namespace caredesk::http
