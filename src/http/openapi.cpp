// The OpenAPI 3 description of the API. tests/api_test checks that it lists exactly the
// routes the router serves and that responses carry the properties it marks required.
#include "http/api.hpp"

namespace caredesk::http {

const std::string& OpenApiDocument() {
  // Several literals: one would pass the 64 KiB compilers must support.
  static constexpr const char kHead[] = R"JSON({
  "openapi": "3.0.3",
  "info": {
    "title": "CareDesk API",
    "version": "1.0.0",
    "description": "Patient contact center: one inbox for every channel with response-time targets. Every request except /healthz, /readyz, this document and sign-in needs a bearer token (Authorization: Bearer cdk_...) or the session cookie; cookie-authenticated unsafe requests also need X-CSRF-Token. Errors answer {\"error\": {\"code\", \"message\", \"field\"}}."
  },
  "components": {
    "securitySchemes": {
      "bearer": {"type": "http", "scheme": "bearer"},
      "session": {"type": "apiKey", "in": "cookie", "name": "caredesk_session"}
    },
    "schemas": {
      "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message", "field"],
          "properties": {"code": {"type": "string", "enum": ["invalid", "not_found", "conflict", "forbidden", "unauthenticated", "too_large", "unavailable", "internal", "method_not_allowed", "unsupported_media_type", "request_timeout", "too_many_attempts", "second_factor_required", "second_factor_setup_required", "rate_limited", "chat_disabled", "upgrade_required"]},
                         "message": {"type": "string"}, "field": {"type": "string"}}}}
      },
      "Verification": {
        "type": "object", "required": ["state", "verified", "subject", "representative_id", "failures", "flagged", "flag_reason", "expires_at", "may_disclose", "may_not_disclose", "guidance"],
        "description": "What may be said in this conversation. Until verified, nothing about the patient: the agent asks for full name and date of birth (answered only matches or does_not_match), then sends a one-time code to the phone or email on record.",
        "properties": {"state": {"type": "string", "enum": ["unverified", "started", "details_matched", "code_sent", "verified", "failed", "expired"]},
          "verified": {"type": "boolean"}, "subject": {"type": "string", "enum": ["patient", "representative"]},
          "representative_id": {"type": "integer", "nullable": true}, "failures": {"type": "integer"},
          "flagged": {"type": "boolean"}, "flag_reason": {"type": "string", "nullable": true},
          "expires_at": {"type": "string", "format": "date-time", "nullable": true},
          "may_disclose": {"type": "array", "items": {"type": "string", "enum": ["scheduling", "billing", "clinical", "records"]}},
          "may_not_disclose": {"type": "array", "items": {"type": "string", "enum": ["scheduling", "billing", "clinical", "records"]}},
          "guidance": {"type": "string"}}
      },
      "Representative": {
        "type": "object", "required": ["id", "patient_id", "name", "relationship", "date_of_birth", "phone", "email", "scope", "created_at", "revoked_at"],
        "properties": {"id": {"type": "integer"}, "patient_id": {"type": "integer"}, "name": {"type": "string"}, "relationship": {"type": "string"},
          "date_of_birth": {"type": "string", "nullable": true}, "phone": {"type": "string", "nullable": true}, "email": {"type": "string", "nullable": true},
          "scope": {"type": "array", "items": {"type": "string", "enum": ["scheduling", "billing", "clinical", "records"]}},
          "created_at": {"type": "string", "format": "date-time"}, "revoked_at": {"type": "string", "format": "date-time", "nullable": true}}
      },
      "User": {
        "type": "object", "required": ["id", "email", "display_name", "role", "languages", "queues", "phone_agents", "active", "second_factor", "identity_provider_linked", "created_at"],
        "properties": {"id": {"type": "integer"}, "email": {"type": "string"}, "display_name": {"type": "string"},
          "role": {"type": "string", "enum": ["agent", "supervisor", "counselor", "admin", "auditor"]},
          "languages": {"type": "array", "items": {"type": "string"}}, "queues": {"type": "array", "items": {"type": "string"}},
          "phone_agents": {"type": "array", "items": {"type": "string"}, "description": "the phone system's names for this person (queue_log's agent, a call record's agent): their calls count as theirs in the figures, staffing and wellbeing"},
          "active": {"type": "boolean"}, "second_factor": {"type": "boolean", "description": "two-factor sign-in is set up"},
          "identity_provider_linked": {"type": "boolean", "description": "linked to an identity at the practice's OpenID Connect provider"},
          "created_at": {"type": "string", "format": "date-time"}}
      },
      "Session": {
        "type": "object", "required": ["id", "user_id", "created_at", "last_seen_at", "expires_at", "remote_address", "user_agent", "second_factor_pending", "current"],
        "properties": {"id": {"type": "integer"}, "user_id": {"type": "integer"}, "created_at": {"type": "string", "format": "date-time"}, "last_seen_at": {"type": "string", "format": "date-time"}, "expires_at": {"type": "string", "format": "date-time"}, "remote_address": {"type": "string"}, "user_agent": {"type": "string"}, "second_factor_pending": {"type": "boolean"}, "current": {"type": "boolean", "description": "the session making this request"}}
      },
      "Token": {
        "type": "object", "required": ["id", "user_id", "name", "scopes", "created_at", "expires_at", "revoked_at"],
        "properties": {"id": {"type": "integer"}, "user_id": {"type": "integer"}, "name": {"type": "string"}, "scopes": {"type": "array", "items": {"type": "string"}}, "created_at": {"type": "string", "format": "date-time"}, "expires_at": {"type": "string", "format": "date-time", "nullable": true}, "revoked_at": {"type": "string", "format": "date-time", "nullable": true}}
      },
      "Presence": {"type": "object", "required": ["status", "max_chats", "changed_at"], "properties": {"status": {"type": "string", "enum": ["available", "busy", "on_break", "offline"]}, "max_chats": {"type": "integer"}, "changed_at": {"type": "string", "format": "date-time"}}},
      "Call": {"type": "object", "additionalProperties": false, "required": ["id", "source", "call_id", "queue", "outcome", "entered_at", "answered_at", "ended_at", "agent", "wait_seconds", "talk_seconds", "hold_seconds", "wrap_seconds", "unanswered_rings", "transferred", "exit_key", "patient_id", "callback_conversation_id"], "properties": {"id": {"type": "integer"}, "source": {"type": "string", "enum": ["api", "queue_log"]}, "call_id": {"type": "string"}, "queue": {"type": "string"}, "outcome": {"type": "string", "enum": ["waiting", "talking", "answered", "abandoned", "timed_out", "no_agents", "left_by_key"]}, "entered_at": {"type": "string", "format": "date-time"}, "answered_at": {"type": "string", "nullable": true, "format": "date-time"}, "ended_at": {"type": "string", "nullable": true, "format": "date-time"}, "agent": {"type": "string"}, "wait_seconds": {"type": "integer"}, "talk_seconds": {"type": "integer"}, "hold_seconds": {"type": "integer"}, "wrap_seconds": {"type": "integer"}, "unanswered_rings": {"type": "integer"}, "transferred": {"type": "boolean"}, "exit_key": {"type": "string"}, "patient_id": {"type": "integer", "nullable": true}, "callback_conversation_id": {"type": "integer", "nullable": true}}},
      "StaffingPlan": {"type": "object", "additionalProperties": false, "required": ["week", "from", "to", "time_zone", "measured", "settings", "aht_s", "patience_s", "backlog", "alerts", "slots"], "properties": {"week": {"type": "string"}, "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"}, "time_zone": {"type": "string"}, "measured": {"type": "object", "required": ["from", "to", "weeks"], "properties": {"from": {"type": "string"}, "to": {"type": "string"}, "weeks": {"type": "integer"}}}, "settings": {"type": "object"}, "aht_s": {"type": "object", "required": ["phone", "chat", "messages"], "properties": {"phone": {"type": "number"}, "chat": {"type": "number"}, "messages": {"type": "number"}}}, "patience_s": {"type": "number", "nullable": true}, "backlog": {"type": "object", "required": ["open", "healthy_at_most", "add_staff_above"], "properties": {"open": {"type": "integer"}, "healthy_at_most": {"type": "integer"}, "add_staff_above": {"type": "integer"}}}, "alerts": {"type": "array", "items": {"type": "object", "required": ["kind", "message"], "properties": {"kind": {"type": "string", "enum": ["add_staff", "occupancy", "backlog", "no_presence_data", "unmatched_phone_agents"]}, "message": {"type": "string"}, "day": {"type": "string"}, "date": {"type": "string"}, "from": {"type": "string"}, "to": {"type": "string"}, "agents": {"type": "integer"}, "open": {"type": "integer"}}}}, "slots": {"type": "array", "minItems": 336, "maxItems": 336, "items": {"type": "object", "additionalProperties": false, "required": ["day", "date", "time", "agents_on_queue", "agents_scheduled", "staffed", "occupancy", "occupancy_high", "phone", "chat", "messages"], "properties": {"day": {"type": "string"}, "date": {"type": "string"}, "time": {"type": "string"}, "agents_on_queue": {"type": "integer"}, "agents_scheduled": {"type": "integer"}, "staffed": {"type": "number", "nullable": true}, "occupancy": {"type": "number"}, "occupancy_high": {"type": "boolean"}, "phone": {"type": "object", "additionalProperties": false, "required": ["contacts", "aht_s", "agents", "service_level", "occupancy", "method"], "properties": {"contacts": {"type": "number"}, "aht_s": {"type": "number"}, "agents": {"type": "integer"}, "service_level": {"type": "number"}, "occupancy": {"type": "number"}, "method": {"type": "string", "nullable": true, "enum": ["erlang_c", "erlang_a", "workload"]}, "abandon_probability": {"type": "number"}}}, "chat": {"type": "object", "additionalProperties": false, "required": ["contacts", "aht_s", "agents", "service_level", "occupancy", "method"], "properties": {"contacts": {"type": "number"}, "aht_s": {"type": "number"}, "agents": {"type": "integer"}, "service_level": {"type": "number"}, "occupancy": {"type": "number"}, "method": {"type": "string", "nullable": true, "enum": ["erlang_c", "erlang_a", "workload"]}, "abandon_probability": {"type": "number"}}}, "messages": {"type": "object", "additionalProperties": false, "required": ["contacts", "aht_s", "agents", "service_level", "occupancy", "method"], "properties": {"contacts": {"type": "number"}, "aht_s": {"type": "number"}, "agents": {"type": "integer"}, "service_level": {"type": "number"}, "occupancy": {"type": "number"}, "method": {"type": "string", "nullable": true, "enum": ["erlang_c", "erlang_a", "workload"]}, "abandon_probability": {"type": "number"}}}}}}}},
      "Wellbeing": {"type": "object", "required": ["user_id", "name", "status", "working_since", "minutes_without_break", "worked_minutes_today", "after_hours_minutes", "handled_today", "distressing_today", "calls_today", "distressing_share", "occupancy", "break_suggested", "concerns"], "properties": {"user_id": {"type": "integer"}, "name": {"type": "string"}, "status": {"type": "string", "enum": ["available", "busy", "on_break", "offline"]}, "working_since": {"type": "string", "format": "date-time", "nullable": true}, "minutes_without_break": {"type": "integer"}, "worked_minutes_today": {"type": "integer"}, "after_hours_minutes": {"type": "integer"}, "handled_today": {"type": "integer"}, "distressing_today": {"type": "integer"}, "calls_today": {"type": "integer"}, "distressing_share": {"type": "number", "nullable": true}, "occupancy": {"type": "number", "nullable": true}, "break_suggested": {"type": "boolean"}, "concerns": {"type": "array", "items": {"type": "string"}}, "settings": {"type": "object"}}},
      "Kpis": {"type": "object", "additionalProperties": false, "required": ["from", "to", "time_zone", "cuts", "metrics", "sla_by_policy", "backlog", "service_level_seconds", "short_abandon_seconds", "distributions"], "properties": {"sla_by_policy": {"type": "array", "nullable": true, "description": "first-response SLA attainment per SLA policy (the latest a conversation was held to), over the same period (and policy, hour and weekday when given); null when the request cuts by anything else", "items": {"type": "object", "additionalProperties": false, "required": ["policy_id", "name", "conversations", "decided", "met", "attainment"], "properties": {"policy_id": {"type": "integer"}, "name": {"type": "string"}, "conversations": {"type": "integer"}, "decided": {"type": "integer"}, "met": {"type": "integer"}, "attainment": {"type": "number", "nullable": true}}}}, "distributions": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "object", "additionalProperties": false, "required": ["under_s", "count"], "properties": {"under_s": {"type": "integer", "nullable": true}, "count": {"type": "integer"}}}}}, "from": {"type": "string"}, "to": {"type": "string"}, "time_zone": {"type": "string"}, "cuts": {"type": "object"}, "metrics": {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": false, "required": ["value", "count", "definition"], "properties": {"value": {"type": "number", "nullable": true}, "count": {"type": "integer"}, "definition": {"type": "string"}}}}, "backlog": {"type": "object", "additionalProperties": false, "required": ["open", "healthy_at_most", "add_staff_above", "state"], "properties": {"open": {"type": "integer"}, "healthy_at_most": {"type": "integer"}, "add_staff_above": {"type": "integer"}, "state": {"type": "string", "enum": ["healthy", "watch", "add_staff"]}}}, "service_level_seconds": {"type": "integer"}, "short_abandon_seconds": {"type": "integer"}}},
      "CannedResponses": {"type": "object", "additionalProperties": false, "required": ["items"], "properties": {"items": {"type": "array", "maxItems": 200, "items": {"type": "object", "additionalProperties": false, "required": ["title", "text"], "properties": {"title": {"type": "string"}, "shortcut": {"type": "string"}, "text": {"type": "string"}}}}}},
      "ChatSettings": {"type": "object", "additionalProperties": false, "required": ["enabled", "queue", "languages", "offer_timeout_seconds", "max_wait_seconds", "default_handle_seconds", "presence_timeout_seconds", "patient_timeout_seconds"],
        "properties": {"enabled": {"type": "boolean"}, "queue": {"type": "string", "description": "the queue chats go to (default front-desk)"}, "languages": {"type": "array", "items": {"type": "string"}, "description": "offered in the widget; a chat goes to agents who speak its language (default en, es)"},
          "offer_timeout_seconds": {"type": "integer", "description": "5-600, default 30: then the chat is offered to the next agent"}, "max_wait_seconds": {"type": "integer", "description": "default 300: a longer expected wait is not offered live"},
          "default_handle_seconds": {"type": "integer", "description": "a chat's length for wait estimates until a week of chats is measured (default 360)"}, "presence_timeout_seconds": {"type": "integer", "description": "default 90: an agent's console silent this long counts as offline"}, "patient_timeout_seconds": {"type": "integer", "description": "default 120: a waiting patient silent this long has left"}}},
      "RecoveryCodes": {"type": "object", "required": ["recovery_codes"], "properties": {"recovery_codes": {"type": "array", "items": {"type": "string"}}}},
      "Sla": {
        "type": "object", "required": ["state", "policy_id", "due_at", "time_left_ms"],
        "properties": {"state": {"type": "string", "enum": ["none", "ok", "at_risk", "breached", "paused"]},
                       "policy_id": {"type": "integer"},
                       "due_at": {"type": "string", "format": "date-time", "nullable": true},
                       "time_left_ms": {"type": "integer", "nullable": true}}
      },
      "Conversation": {
        "type": "object",
        "required": ["id", "patient_id", "channel", "status", "priority", "queue", "assignee_id", "category", "location_id", "tags", "created_at", "updated_at", "last_message_at", "first_response_at", "resolved_at", "reopen_count", "awaiting_agent", "sla"],
        "properties": {
          "id": {"type": "integer"}, "patient_id": {"type": "integer"},
          "channel": {"type": "string", "enum": ["chat", "sms", "email", "phone", "web"]},
          "status": {"type": "string", "enum": ["open", "pending", "resolved", "closed"]},
          "priority": {"type": "string", "enum": ["low", "normal", "high", "urgent"]},
          "queue": {"type": "string"},
          "assignee_id": {"type": "integer", "nullable": true},
          "location_id": {"type": "integer", "nullable": true, "description": "the practice location the matter is for, when said"},
          "category": {"type": "string", "enum": ["uncategorized", "appointment", "billing", "prescription", "referral", "records", "clinical_question", "other"]},
          "tags": {"type": "array", "items": {"type": "string"}},
          "created_at": {"type": "string", "format": "date-time"},
          "updated_at": {"type": "string", "format": "date-time"},
          "last_message_at": {"type": "string", "format": "date-time"},
          "first_response_at": {"type": "string", "format": "date-time", "nullable": true},
          "resolved_at": {"type": "string", "format": "date-time", "nullable": true},
          "reopen_count": {"type": "integer"}, "awaiting_agent": {"type": "boolean"},
          "sla": {"$ref": "#/components/schemas/Sla"},
          "patient_name": {"type": "string"}
        }
      },
      "Message": {
        "type": "object", "required": ["id", "conversation_id", "kind", "channel", "author_id", "from", "text", "delivery_status", "metadata", "created_at"],
        "properties": {"id": {"type": "integer"}, "conversation_id": {"type": "integer"},
          "kind": {"type": "string", "enum": ["inbound", "outbound", "note"]},
          "channel": {"type": "string"}, "author_id": {"type": "integer", "nullable": true},
          "from": {"type": "string", "nullable": true}, "text": {"type": "string"},
          "delivery_status": {"type": "string", "enum": ["received", "queued", "sent", "delivered", "undelivered", "failed", "read"]},
          "metadata": {"$ref": "#/components/schemas/MessageMetadata"},
          "attachments": {"type": "array", "description": "files sent with the message (in a conversation's view); download with GET /api/v1/attachments/{id}", "items": {"type": "object", "required": ["id", "filename", "content_type", "size"], "properties": {"id": {"type": "integer"}, "filename": {"type": "string"}, "content_type": {"type": "string"}, "size": {"type": "integer"}}}},
          "created_at": {"type": "string", "format": "date-time"}}
      },
      "Event": {
        "type": "object", "required": ["id", "type", "at", "actor_id", "data"],
        "properties": {"id": {"type": "integer"}, "type": {"type": "string"},
          "at": {"type": "string", "format": "date-time"}, "actor_id": {"type": "integer", "nullable": true},
          "data": {"type": "object", "additionalProperties": {"type": "string"}}}
      },
      "Patient": {
        "type": "object", "required": ["id", "name", "date_of_birth", "phone", "email", "language", "preferred_channel", "consent_sms", "consent_email", "created_at", "updated_at"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
          "date_of_birth": {"type": "string", "format": "date", "nullable": true},
          "phone": {"type": "string", "description": "E.164", "nullable": true},
          "email": {"type": "string", "nullable": true}, "language": {"type": "string"},
          "preferred_channel": {"type": "string", "nullable": true},
          "consent_sms": {"type": "boolean"}, "consent_email": {"type": "boolean"},
          "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"}}
      },
      "MaskablePatient": {
        "type": "object", "required": ["id", "name", "date_of_birth", "phone", "email", "language", "preferred_channel", "consent_sms", "consent_email", "created_at", "updated_at"],
        "description": "A patient as a conversation shows them: date_of_birth, phone and email are masked (****-**-**, ***-***-0188, z***@e***) and masked is true until the person in the conversation is verified for records.",
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
          "date_of_birth": {"type": "string", "nullable": true}, "phone": {"type": "string", "nullable": true},
          "email": {"type": "string", "nullable": true}, "language": {"type": "string"},
          "preferred_channel": {"type": "string", "nullable": true},
          "consent_sms": {"type": "boolean"}, "consent_email": {"type": "boolean"},
          "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"},
          "masked": {"type": "boolean"}}
      },
      "PatientInput": {
        "type": "object", "additionalProperties": false,
        "properties": {"name": {"type": "string", "maxLength": 200}, "date_of_birth": {"type": "string", "format": "date", "nullable": true},
          "phone": {"type": "string", "nullable": true}, "email": {"type": "string", "nullable": true},
          "language": {"type": "string"}, "preferred_channel": {"type": "string", "nullable": true},
          "consent_sms": {"type": "boolean"}, "consent_email": {"type": "boolean"}}
      },
      "InboundMessage": {
        "type": "object", "required": ["channel", "from", "text"], "additionalProperties": false,
        "properties": {
          "channel": {"type": "string", "enum": ["chat", "sms", "email", "phone", "web"]},
          "from": {"type": "string", "description": "phone (any written form; E.164 stored), email, or chat visitor id"},
          "text": {"type": "string", "maxLength": 65536},
          "patient_id": {"type": "integer"},
          "patient": {"type": "object", "additionalProperties": false, "properties": {"name": {"type": "string"}, "date_of_birth": {"type": "string"}, "phone": {"type": "string"}, "email": {"type": "string"}, "language": {"type": "string"}}},
          "queue": {"type": "string", "description": "queue of a new conversation (default front-desk)"},
          "priority": {"type": "string", "enum": ["low", "normal", "high", "urgent"], "description": "priority of a new conversation (default normal); raises, never lowers, an existing one's"},
          "metadata": {"$ref": "#/components/schemas/MessageMetadata"}}
      },
      "MessageMetadata": {
        "type": "object", "maxProperties": 20, "description": "what the channel says about the message, e.g. the provider's message id or an email's subject; keys 1-64 characters of a-z 0-9 _ . -",
        "additionalProperties": {"type": "string", "maxLength": 1024}
      },
      "InboundResult": {
        "type": "object", "required": ["message_id", "conversation_id", "patient_id", "conversation_status", "created_conversation", "reopened"],
        "properties": {"message_id": {"type": "integer"}, "conversation_id": {"type": "integer"}, "patient_id": {"type": "integer"},
          "conversation_status": {"type": "string"}, "created_conversation": {"type": "boolean"}, "reopened": {"type": "boolean"}}
      },
      "SmsSettings": {"type": "object", "required": ["configured", "auth_token_set", "base_url", "account_sid", "from", "messaging_service_sid", "idempotency_header", "help_contact", "quiet_hours"], "additionalProperties": false, "properties": {
        "configured": {"type": "boolean"}, "auth_token_set": {"type": "boolean"}, "base_url": {"type": "string"}, "account_sid": {"type": "string"}, "from": {"type": "string"}, "messaging_service_sid": {"type": "string"}, "idempotency_header": {"type": "string"}, "help_contact": {"type": "string"}, "quiet_hours": {"type": "string"}}},
      "EmailSettings": {"type": "object", "required": ["configured", "smtp_password_set", "address", "display_name", "smtp_url", "smtp_username", "imap_url", "imap_since"], "additionalProperties": false, "properties": {
        "configured": {"type": "boolean"}, "smtp_password_set": {"type": "boolean"}, "address": {"type": "string"}, "display_name": {"type": "string"}, "smtp_url": {"type": "string"}, "smtp_username": {"type": "string"}, "imap_url": {"type": "string"}, "imap_since": {"type": "string", "description": "the day polling of imap_url began (set when imap_url is set or changed): mail from then on is taken, not the mailbox's history"}}},
      "OidcProvider": {"type": "object", "required": ["enabled", "issuer", "client_id", "client_secret_set", "accept_provider_mfa", "redirect_uri"], "additionalProperties": false, "properties": {
        "enabled": {"type": "boolean"}, "issuer": {"type": "string"}, "client_id": {"type": "string"}, "client_secret_set": {"type": "boolean"}, "accept_provider_mfa": {"type": "boolean"},
        "redirect_uri": {"type": "string", "nullable": true, "description": "register this at the provider; null until the server's public_url is set"}}},
      "Settings": {
        "type": "object", "required": ["slug", "name", "time_zone", "business_hours", "holidays", "require_second_factor", "retention_days"],
        "properties": {"slug": {"type": "string"}, "name": {"type": "string"},
          "require_second_factor": {"type": "boolean", "description": "staff sign in with a TOTP code or a recovery code besides the password (default true)"},
          "retention_days": {"type": "integer", "description": "conversation content (message text, senders) is purged this many days after a resolved or closed conversation was last active (default 2190, six years)"},
          "time_zone": {"type": "string", "description": "IANA name, e.g. America/Chicago"},
          "business_hours": {"type": "string", "description": "e.g. mon-fri 08:00-17:00; sat 09:00-12:00, or always"},
          "holidays": {"type": "array", "items": {"type": "string", "format": "date"}}}
      },
      "SettingsInput": {
        "type": "object", "additionalProperties": false,
        "properties": {"name": {"type": "string"}, "time_zone": {"type": "string"}, "business_hours": {"type": "string"},
          "require_second_factor": {"type": "boolean"},
          "retention_days": {"type": "integer", "minimum": 30, "maximum": 36500},
          "holidays": {"type": "array", "maxItems": 400, "items": {"type": "string", "format": "date"}}}
      },
      "Location": {
        "type": "object", "required": ["id", "name", "address", "business_hours", "holidays"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "address": {"type": "string"},
          "business_hours": {"type": "string", "nullable": true, "description": "null: the practice's hours"},
          "holidays": {"type": "array", "items": {"type": "string", "format": "date"}}}
      },
      "LocationInput": {
        "type": "object", "additionalProperties": false,
        "properties": {"name": {"type": "string"}, "address": {"type": "string"}, "business_hours": {"type": "string", "nullable": true},
          "holidays": {"type": "array", "maxItems": 400, "items": {"type": "string", "format": "date"}}}
      },
      "SlaPolicy": {
        "type": "object", "required": ["id", "name", "queue", "channel", "priority", "first_response_minutes", "next_response_minutes", "resolution_minutes", "at_risk_percent"],
        "description": "Targets in business minutes. The most specific policy whose queue, channel and priority all match a conversation applies (ties: lowest id); null matches anything.",
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
          "queue": {"type": "string", "nullable": true}, "channel": {"type": "string", "nullable": true}, "priority": {"type": "string", "nullable": true},
          "first_response_minutes": {"type": "integer"}, "next_response_minutes": {"type": "integer"}, "resolution_minutes": {"type": "integer"},
          "at_risk_percent": {"type": "integer", "minimum": 1, "maximum": 99}}
      },
      "SlaPolicyInput": {
        "type": "object", "additionalProperties": false,
        "properties": {"name": {"type": "string"}, "queue": {"type": "string", "nullable": true},
          "channel": {"type": "string", "nullable": true, "enum": ["chat", "sms", "email", "phone", "web", null]},
          "priority": {"type": "string", "nullable": true, "enum": ["low", "normal", "high", "urgent", null]},
          "first_response_minutes": {"type": "integer", "minimum": 1, "maximum": 525600},
          "next_response_minutes": {"type": "integer", "minimum": 1, "maximum": 525600},
          "resolution_minutes": {"type": "integer", "minimum": 1, "maximum": 525600},
          "at_risk_percent": {"type": "integer", "minimum": 1, "maximum": 99}}
      },
      "CommandResult": {
        "type": "object", "required": ["conversation"],
        "properties": {"conversation": {"$ref": "#/components/schemas/Conversation"}, "message_id": {"type": "integer"}}
      }
    },
    "responses": {
      "Error": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    },
    "parameters": {
      "id": {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}
    }
  },
  "security": [{"bearer": []}, {"session": []}],
  "paths": {
    "/healthz": {"get": {"summary": "The process is up", "security": [], "responses": {"200": {"description": "ok"}}}},
    "/readyz": {"get": {"summary": "The database is reachable and migrated", "security": [], "responses": {"200": {"description": "ready"}, "503": {"$ref": "#/components/responses/Error"}}}},
    "/metrics": {"get": {"summary": "Prometheus metrics (text format 0.0.4)", "description": "With metrics_token configured (CAREDESK_METRICS_TOKEN), for Authorization: Bearer <metrics_token> only (401 otherwise); without one, for clients on loopback only (403 otherwise). caredesk_http_requests_total{method,route,status} and caredesk_http_request_duration_seconds{route} (handler time; route is the pattern, never the path), and gauges summed over practices: caredesk_practices, caredesk_conversations_open, caredesk_chats_waiting, caredesk_chats_active, caredesk_agents_available, caredesk_outbox_due, caredesk_sla_timers_due, process_resident_memory_bytes, process_open_fds. No label names a practice, patient or staff member.", "security": [],
        "responses": {"200": {"description": "the metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}, "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}}}},
    "/api/openapi.json": {"get": {"summary": "This document", "security": [], "responses": {"200": {"description": "OpenAPI 3 document"}}}},
    "/api/v1/session": {
      "post": {"summary": "Sign in; sets the session cookie and returns the CSRF token", "security": [],
        "description": "A user with two-factor sign-in on sends the current code of their authenticator app (code) or one unused recovery code (recovery_code) with the password; without either the answer is 401 second_factor_required. A user of a practice that requires a second factor who has none yet gets a session whose second_factor is setup_required: it can only set one up (POST /api/v1/me/second-factor), read /api/v1/me and sign out; everything else answers 403 second_factor_setup_required. A session cookie sent with the request is ended.",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["tenant", "email", "password"], "additionalProperties": false, "properties": {"tenant": {"type": "string"}, "email": {"type": "string"}, "password": {"type": "string"}, "code": {"type": "string", "description": "6 digits from the authenticator app"}, "recovery_code": {"type": "string"}}}}}},
        "responses": {"201": {"description": "signed in", "content": {"application/json": {"schema": {"type": "object", "required": ["user_id", "tenant_id", "csrf_token", "expires_at", "second_factor"], "properties": {"user_id": {"type": "integer"}, "tenant_id": {"type": "integer"}, "csrf_token": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"}, "second_factor": {"type": "string", "enum": ["verified", "setup_required", "not_required"]}}}}}}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
          "429": {"description": "too many failed sign-ins for this email or from this address in 15 minutes (too_many_attempts), or more than 60 sign-in requests a minute from one address (rate_limited); Retry-After says when to try again", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}},
      "delete": {"summary": "Sign out (cookie session)", "responses": {"204": {"description": "signed out"}, "400": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/auth/oidc/start": {"get": {"summary": "Begin sign-in through the practice's identity provider (OpenID Connect)", "security": [],
      "description": "Redirects the browser to the practice's provider (authorization code flow with PKCE S256, scope openid email) and sets a short-lived HttpOnly cookie caredesk_oidc (SameSite=Lax, 10 minutes) that the callback needs. Needs the server's public_url. Rate-limited per address like sign-in.",
      "parameters": [{"name": "tenant", "in": "query", "required": true, "schema": {"type": "string"}, "description": "the practice's slug"}],
      "responses": {"302": {"description": "to the provider; Location is its authorization request"}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/auth/oidc/callback": {"get": {"summary": "Where the provider sends the browser back; opens a session", "security": [],
      "description": "Checks the state against the caredesk_oidc cookie, redeems the code (client_secret_basic, PKCE verifier) and validates the ID token: RS256 by a key the provider publishes, issuer, audience and azp, expiry and issue time (60 s skew), nonce. The user is the one linked to the provider's subject, else (linking them) the active user whose CareDesk email equals the provider's verified email; nobody is created. When the practice requires a second factor, or the user has one, the token's amr must say mfa and the practice must accept the provider's. Answers a page that moves the browser to / with the new session cookie (SameSite=Strict) set; the console reads its CSRF token from GET /api/v1/me.",
      "parameters": [{"name": "code", "in": "query", "schema": {"type": "string"}}, {"name": "state", "in": "query", "schema": {"type": "string"}}, {"name": "error", "in": "query", "schema": {"type": "string"}}],
      "responses": {"200": {"description": "signed in", "content": {"text/html": {"schema": {"type": "string"}}}}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}}},
    "/hooks/twilio/status": {"post": {"summary": "A Twilio-compatible SMS provider reports what became of a text (StatusCallback)", "security": [],
      "description": "Form-encoded as the provider sends it (MessageSid, MessageStatus, ErrorCode, ...), signed with X-Twilio-Signature: base64 HMAC-SHA1, keyed by the practice's auth token, over <public_url>/hooks/twilio/status?tenant=SLUG followed by every parameter's name and value sorted by name. A bad or missing signature, or an unknown practice, is 403 and changes nothing. undelivered and failed mark the message failed and add an outbound_failed event (with the provider's ErrorCode) to its conversation; a status older than the one recorded is ignored (callbacks arrive out of order); a message we do not know is acknowledged.",
      "parameters": [{"name": "tenant", "in": "query", "required": true, "schema": {"type": "string"}}, {"name": "X-Twilio-Signature", "in": "header", "required": true, "schema": {"type": "string"}}],
      "requestBody": {"required": true, "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {"MessageSid": {"type": "string"}, "MessageStatus": {"type": "string", "enum": ["accepted", "scheduled", "queued", "sending", "sent", "delivered", "read", "undelivered", "failed", "canceled"]}, "ErrorCode": {"type": "string"}}}}}},
      "responses": {"204": {"description": "recorded (or not ours)"}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "415": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/attachments/{id}": {"get": {"summary": "A file a patient sent (to whoever may read its conversation; audited)",
      "description": "Served as a download (Content-Disposition: attachment, nosniff, a sandboxing Content-Security-Policy); the type is the sender's when it is a common image, PDF or plain text, else application/octet-stream. 404 for another practice's, or one in a queue the caller does not serve.",
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
      "responses": {"200": {"description": "the file", "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/hooks/twilio/sms": {"post": {"summary": "A Twilio-compatible SMS provider delivers a text from a patient", "security": [],
      "description": "Form-encoded as the provider sends it (MessageSid, From, To, Body, NumMedia, ...), signed as for /hooks/twilio/status over <public_url>/hooks/twilio/sms?tenant=SLUG. A bad or missing signature, or an unknown practice, is 403 and stores nothing. The answer (TwiML) comes only once the message is committed. A repeated MessageSid is answered as the first time and stores nothing. A text that is a consent keyword alone (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, ALTO, PARA, PARAR, CANCELAR, BAJA, DETENER opt the number out; START, UNSTOP, COMENZAR, INICIAR opt it in; HELP, INFO, AYUDA) opens no conversation: the consent is recorded, an sms_opted_out or sms_opted_in event goes to the patient's open conversation, and the TwiML answer carries the practice's confirmation in the keyword's language. Any other text is stored like POST /api/v1/messages with channel sms, the MessageSid in its metadata as provider_ref; NumMedia is recorded as media_count (the pictures themselves are not fetched yet).",
      "parameters": [{"name": "tenant", "in": "query", "required": true, "schema": {"type": "string"}}, {"name": "X-Twilio-Signature", "in": "header", "required": true, "schema": {"type": "string"}}],
      "requestBody": {"required": true, "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {"MessageSid": {"type": "string"}, "From": {"type": "string"}, "To": {"type": "string"}, "Body": {"type": "string"}, "NumMedia": {"type": "string"}}}}}},
      "responses": {"200": {"description": "stored or acted on; TwiML, with a Message for a keyword", "content": {"text/xml": {"schema": {"type": "string"}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}, "415": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}}},
)JSON";
  static constexpr const char kChat[] =
      R"JSON(    "/api/v1/widget/status": {"get": {"summary": "Whether a patient who opens the practice's chat window now reaches a person", "security": [],
      "description": "Public, for the chat widget on the practice's website (any origin may call the /api/v1/widget/ routes; no cookies). live is true only within business hours, with an available agent who serves the chat's queue and language (an agent whose console has not been seen within the presence timeout counts as offline), and an expected wait within the practice's threshold. Otherwise the widget offers to continue by text or email. Rate-limited per address.",
      "parameters": [{"name": "tenant", "in": "query", "required": true, "schema": {"type": "string"}}, {"name": "language", "in": "query", "schema": {"type": "string"}}],
      "responses": {"200": {"description": "availability", "content": {"application/json": {"schema": {"type": "object", "required": ["live", "open_hours", "agents_available", "waiting", "expected_wait_seconds", "languages", "practice", "enabled"], "properties": {"live": {"type": "boolean"}, "open_hours": {"type": "boolean"}, "agents_available": {"type": "integer"}, "waiting": {"type": "integer"}, "expected_wait_seconds": {"type": "integer", "description": "-1 when nobody can take chats"}, "languages": {"type": "array", "items": {"type": "string"}}, "practice": {"type": "string"}, "enabled": {"type": "boolean"}}}}}}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/widget/chats": {"post": {"summary": "A patient starts a chat", "security": [],
      "description": "Creates an anonymous patient, a chat conversation in the practice's chat queue (with its SLA) and the chat. When live, the chat waits for an agent and is offered at once to the least-loaded available agent with the skills (ties: longest idle); an offer not accepted within the offer timeout moves to the next agent. When not live, state is offline: the question is a conversation the practice answers later, by text or email once the patient leaves a way to reach them (POST /api/v1/widget/chat/contact). The answer's token is the chat's secret: send it as X-Chat-Token to read, write and leave this chat. It is shown once.",
      "parameters": [{"name": "tenant", "in": "query", "required": true, "schema": {"type": "string"}}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["text"], "additionalProperties": false, "properties": {"text": {"type": "string"}, "language": {"type": "string"}, "name": {"type": "string"}, "phone": {"type": "string"}, "email": {"type": "string"}, "location": {"type": "integer", "description": "the id of the practice location whose page the chat window is on (the script tag's data-location); the conversation counts under it. One of the practice's own, else 400"}}}}}},
      "responses": {"201": {"description": "started", "content": {"application/json": {"schema": {"type": "object", "required": ["chat_id", "state", "token", "position", "availability", "message_id", "conversation_id", "contact_left"], "properties": {"chat_id": {"type": "integer"}, "state": {"type": "string", "enum": ["waiting", "offline"]}, "token": {"type": "string"}, "position": {"type": "integer"}, "availability": {"type": "object"}, "message_id": {"type": "integer"}, "conversation_id": {"type": "integer"}, "contact_left": {"type": "boolean"}}}}}}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}, "415": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/widget/chat": {"get": {"summary": "The patient's chat: its state, place in the queue and messages", "security": [],
      "description": "Messages after the given id (notes are never shown); from is patient or practice, with the answering agent's first name. A waiting patient who reads is still there; one silent for the patient timeout is recorded as having left (chat_abandoned).",
      "parameters": [{"name": "tenant", "in": "query", "required": true, "schema": {"type": "string"}}, {"name": "after", "in": "query", "schema": {"type": "integer"}}, {"name": "X-Chat-Token", "in": "header", "required": true, "schema": {"type": "string"}}],
      "responses": {"200": {"description": "the chat", "content": {"application/json": {"schema": {"type": "object", "required": ["chat_id", "state", "messages", "patient_seen_message_id", "agent_seen_message_id"], "properties": {"chat_id": {"type": "integer"}, "state": {"type": "string", "enum": ["waiting", "active", "ended", "abandoned", "offline"]}, "messages": {"type": "array", "items": {"type": "object", "required": ["id", "from", "text", "at"], "properties": {"id": {"type": "integer"}, "from": {"type": "string", "enum": ["patient", "practice"]}, "text": {"type": "string"}, "at": {"type": "string", "format": "date-time"}, "author": {"type": "string"}}}}, "position": {"type": "integer"}, "agent": {"type": "string"}, "patient_seen_message_id": {"type": "integer"}, "agent_seen_message_id": {"type": "integer"}}}}}}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/widget/chat/messages": {"post": {"summary": "The patient writes in their chat", "security": [],
      "description": "client_id (the widget's own id for the message) makes a resend after a lost answer store nothing new: the same client_id answers 200 with the first message's ids.",
      "parameters": [{"name": "tenant", "in": "query", "required": true, "schema": {"type": "string"}}, {"name": "X-Chat-Token", "in": "header", "required": true, "schema": {"type": "string"}}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["text"], "additionalProperties": false, "properties": {"text": {"type": "string"}, "client_id": {"type": "string"}}}}}},
      "responses": {"201": {"description": "stored", "content": {"application/json": {"schema": {"type": "object", "required": ["message_id", "conversation_id"], "properties": {"message_id": {"type": "integer"}, "conversation_id": {"type": "integer"}}}}}}, "200": {"description": "a resend of a stored message", "content": {"application/json": {"schema": {"type": "object", "required": ["message_id"], "properties": {"message_id": {"type": "integer"}}}}}}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/widget/chat/files": {"post": {"summary": "The patient sends a photo or a PDF in the chat", "security": [],
      "description": "The body is the file itself (up to max_upload_bytes, 10 MiB by default; other requests keep max_body_bytes). What it is comes from its first bytes (JPEG, PNG, GIF, WebP, HEIC or PDF), not from Content-Type or the name; anything else is 415. Stored as a message naming the file, with the file attached. client_id makes a resend store nothing, as for messages.",
      "parameters": [{"name": "tenant", "in": "query", "required": true, "schema": {"type": "string"}}, {"name": "name", "in": "query", "schema": {"type": "string"}, "description": "the file's name as the patient's device has it; cut to a safe form"}, {"name": "client_id", "in": "query", "schema": {"type": "string"}}, {"name": "X-Chat-Token", "in": "header", "required": true, "schema": {"type": "string"}}],
      "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
      "responses": {"201": {"description": "stored", "content": {"application/json": {"schema": {"type": "object"}}}}, "200": {"description": "a resend, stored before: the first answer", "content": {"application/json": {"schema": {"type": "object"}}}}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}, "415": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/widget/chat/transcript": {"post": {"summary": "Email the patient a copy of the chat", "security": [],
      "description": "What the patient saw (their messages and the practice's, never notes), with times in the practice's time zone, mailed through the outbox from the practice's mail account to the address given (marked Auto-Submitted). At most 3 per chat. 409 (field email) when the practice has no mail account or the 3 were sent; 400 for an address that is not one. The answer masks the address.",
      "parameters": [{"name": "tenant", "in": "query", "required": true, "schema": {"type": "string"}}, {"name": "X-Chat-Token", "in": "header", "required": true, "schema": {"type": "string"}}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["email"], "additionalProperties": false, "properties": {"email": {"type": "string"}}}}}},
      "responses": {"202": {"description": "queued", "content": {"application/json": {"schema": {"type": "object", "required": ["sent_to"], "properties": {"sent_to": {"type": "string"}}}}}}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/widget/chat/seen": {"post": {"summary": "The patient has seen the chat up to a message (read receipts)", "security": [],
      "parameters": [{"name": "tenant", "in": "query", "required": true, "schema": {"type": "string"}}, {"name": "X-Chat-Token", "in": "header", "required": true, "schema": {"type": "string"}}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["message_id"], "properties": {"message_id": {"type": "integer"}}}}}},
      "responses": {"200": {"description": "recorded", "content": {"application/json": {"schema": {"type": "object", "required": ["chat_id", "patient_seen_message_id"]}}}}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/widget/chat/contact": {"post": {"summary": "The patient leaves a way to answer them later", "security": [],
      "description": "Fills in the chat's own anonymous patient record only (never replaces a number or address already there). Replies to a chat the patient is no longer in then go by text (or email, when that is all they left).",
      "parameters": [{"name": "tenant", "in": "query", "required": true, "schema": {"type": "string"}}, {"name": "X-Chat-Token", "in": "header", "required": true, "schema": {"type": "string"}}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "properties": {"phone": {"type": "string"}, "email": {"type": "string"}, "name": {"type": "string"}}}}}},
      "responses": {"200": {"description": "recorded", "content": {"application/json": {"schema": {"type": "object", "required": ["contact_left"], "properties": {"contact_left": {"type": "boolean"}}}}}}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/widget/chat/leave": {"post": {"summary": "The patient closes the chat", "security": [],
      "description": "Before an agent took it: abandoned (chat_abandoned); the conversation stays open for a follow-up if the patient left a way to reach them, else it is resolved. After: ended (chat_ended).",
      "parameters": [{"name": "tenant", "in": "query", "required": true, "schema": {"type": "string"}}, {"name": "X-Chat-Token", "in": "header", "required": true, "schema": {"type": "string"}}],
      "responses": {"200": {"description": "the chat", "content": {"application/json": {"schema": {"type": "object", "required": ["chat_id", "state"]}}}}, "401": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/widget/chat/rating": {"post": {"summary": "The patient rates the chat, 1 to 5 stars (the CSAT figure)", "security": [],
      "description": "Once an agent answered it; a later rating replaces the earlier one in the figures (at most 5 per chat, then 409).",
      "parameters": [{"name": "tenant", "in": "query", "required": true, "schema": {"type": "string"}}, {"name": "X-Chat-Token", "in": "header", "required": true, "schema": {"type": "string"}}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["score"], "additionalProperties": false, "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 5}}}}}},
      "responses": {"200": {"description": "kept", "content": {"application/json": {"schema": {"type": "object", "required": ["score"], "properties": {"score": {"type": "integer"}}}}}}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/me/presence": {
      "get": {"summary": "The caller's chat status and capacity", "responses": {"200": {"description": "presence", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Presence"}}}}}},
      "put": {"summary": "Set the caller's chat status (available, busy, on_break, offline) and how many chats they take at once (1-10)", "description": "Also the console's heartbeat: an agent not seen within the practice's presence timeout counts as offline. Routes waiting chats at once.",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "properties": {"status": {"type": "string", "enum": ["available", "busy", "on_break", "offline"]}, "max_chats": {"type": "integer"}}}}}},
        "responses": {"200": {"description": "stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Presence"}}}}, "400": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/me/chats": {"get": {"summary": "Chats offered to the caller and chats they hold", "responses": {"200": {"description": "chats", "content": {"application/json": {"schema": {"type": "object", "required": ["offered", "active"], "properties": {"offered": {"type": "array", "items": {"type": "object"}}, "active": {"type": "array", "items": {"type": "object"}}}}}}}}}},
    "/api/v1/chats/{id}/accept": {"post": {"summary": "Take a chat offered to you", "parameters": [{"$ref": "#/components/parameters/id"}], "description": "Assigns its conversation to you; chat_accepted records the wait. 409 when it is not (or no longer) offered to you.",
      "responses": {"200": {"description": "the chat", "content": {"application/json": {"schema": {"type": "object", "required": ["chat_id", "state"]}}}}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/chats/{id}/decline": {"post": {"summary": "Pass on a chat offered to you; it goes to the next agent", "parameters": [{"$ref": "#/components/parameters/id"}],
      "responses": {"200": {"description": "the chat", "content": {"application/json": {"schema": {"type": "object", "required": ["chat_id", "state"]}}}}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/chats/{id}/seen": {"post": {"summary": "The agent has read the chat up to a message: the patient's widget shows it as read", "parameters": [{"$ref": "#/components/parameters/id"}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["message_id"], "properties": {"message_id": {"type": "integer"}}}}}},
      "responses": {"200": {"description": "the chat", "content": {"application/json": {"schema": {"type": "object", "required": ["chat_id", "agent_seen_message_id"]}}}}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/chats/{id}/end": {"post": {"summary": "End a chat in progress (its agent, or a supervisor)", "parameters": [{"$ref": "#/components/parameters/id"}],
      "responses": {"200": {"description": "the chat", "content": {"application/json": {"schema": {"type": "object", "required": ["chat_id", "state"]}}}}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/chats/{id}/assign": {"post": {"summary": "Give a waiting or active chat to an agent, or take it over (supervisor)", "parameters": [{"$ref": "#/components/parameters/id"}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["agent_id"], "properties": {"agent_id": {"type": "integer"}}}}}},
      "responses": {"200": {"description": "the chat", "content": {"application/json": {"schema": {"type": "object", "required": ["chat_id", "state"]}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/chats/live": {"get": {"summary": "The supervisor's live view: agents with status and load, waiting chats by queue with their waits, chats in progress", "description": "at_risk marks a waiting chat that an agent passed over or that has waited past the offer timeout.",
      "responses": {"200": {"description": "live", "content": {"application/json": {"schema": {"type": "object", "required": ["agents", "queues", "active"], "properties": {"agents": {"type": "array", "items": {"type": "object", "required": ["user_id", "display_name", "status", "chats", "max_chats"]}}, "queues": {"type": "array", "items": {"type": "object", "required": ["queue", "waiting"]}}, "active": {"type": "array", "items": {"type": "object"}}}}}}}, "403": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/settings/reports": {
      "get": {"summary": "The practice's targets and thresholds for figures, staffing advice and wellbeing (supervisors, admins, auditors)", "description": "Every field, with its default where none was set: backlog_healthy 50 and backlog_add_staff 100 (open requests), service_level_seconds 20 (phone: answered within), short_abandon_seconds 10, phone_service_level 0.8, chat_service_level 0.8 within chat_target_seconds 60, chat_concurrency 2, shrinkage 0.3, max_occupancy 0.85, message_handle_seconds 240, break_after_minutes 120, distressing_share 0.5 (of today's conversations escalated or urgent), after_hours_minutes 120 (over 7 days). Token scope: settings:read.",
        "responses": {"200": {"description": "the settings", "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "properties": {"backlog_healthy": {"type": "integer"}, "backlog_add_staff": {"type": "integer"}, "service_level_seconds": {"type": "integer"}, "short_abandon_seconds": {"type": "integer"}, "phone_service_level": {"type": "number"}, "chat_service_level": {"type": "number"}, "chat_target_seconds": {"type": "integer"}, "chat_concurrency": {"type": "number"}, "shrinkage": {"type": "number"}, "max_occupancy": {"type": "number"}, "message_handle_seconds": {"type": "integer"}, "break_after_minutes": {"type": "integer"}, "distressing_share": {"type": "number"}, "after_hours_minutes": {"type": "integer"}}}}}}}},
      "put": {"summary": "Replace them (supervisors, admins)", "description": "Fields left out take their defaults; 400 names a field that is unknown, of the wrong type or out of range. A new short_abandon_seconds counts every call again (the figures follow within seconds to minutes). Audited. Token scope: settings:write.",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "properties": {"backlog_healthy": {"type": "integer"}, "backlog_add_staff": {"type": "integer"}, "service_level_seconds": {"type": "integer"}, "short_abandon_seconds": {"type": "integer"}, "phone_service_level": {"type": "number"}, "chat_service_level": {"type": "number"}, "chat_target_seconds": {"type": "integer"}, "chat_concurrency": {"type": "number"}, "shrinkage": {"type": "number"}, "max_occupancy": {"type": "number"}, "message_handle_seconds": {"type": "integer"}, "break_after_minutes": {"type": "integer"}, "distressing_share": {"type": "number"}, "after_hours_minutes": {"type": "integer"}}}}}},
        "responses": {"200": {"description": "saved", "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "properties": {"backlog_healthy": {"type": "integer"}, "backlog_add_staff": {"type": "integer"}, "service_level_seconds": {"type": "integer"}, "short_abandon_seconds": {"type": "integer"}, "phone_service_level": {"type": "number"}, "chat_service_level": {"type": "number"}, "chat_target_seconds": {"type": "integer"}, "chat_concurrency": {"type": "number"}, "shrinkage": {"type": "number"}, "max_occupancy": {"type": "number"}, "message_handle_seconds": {"type": "integer"}, "break_after_minutes": {"type": "integer"}, "distressing_share": {"type": "number"}, "after_hours_minutes": {"type": "integer"}}}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/wellbeing": {
      "get": {"summary": "Each staff member's workload and breaks, those who need a break first (supervisors, admins)", "description": "From their console statuses over the last 7 days (available or busy counts as working; a break is 5 minutes or more on a break, offline or with the console gone), the conversations they first answered today and how many of those are escalated or urgent, and their live chats today. break_suggested: working break_after_minutes without a break, or more than distressing_share of at least 4 conversations escalated or urgent; their console nudges them. concerns says why in plain words (also occupancy over max_occupancy and after-hours work over after_hours_minutes in 7 days). Thresholds: /api/v1/settings/reports. Token scope: reports:read.",
        "responses": {"200": {"description": "the team", "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "required": ["settings", "items"], "properties": {"settings": {"type": "object"}, "items": {"type": "array", "items": {"$ref": "#/components/schemas/Wellbeing"}}}}}}}, "403": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/me/wellbeing": {
      "get": {"summary": "The caller's own workload and breaks (staff), for the console's nudge",
        "responses": {"200": {"description": "the caller's", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Wellbeing"}}}}, "404": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/settings/chat": {
      "get": {"summary": "The practice's live chat settings", "responses": {"200": {"description": "settings", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChatSettings"}}}}}},
      "put": {"summary": "Set the practice's live chat settings (admin)", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChatSettings"}}}},
        "responses": {"200": {"description": "stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChatSettings"}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/canned-responses": {
      "get": {"summary": "The practice's canned responses, for every agent's composer", "responses": {"200": {"description": "the list", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CannedResponses"}}}}}},
      "put": {"summary": "Replace the practice's canned responses (supervisor, admin)", "description": "The whole list at once, at most 200. title: 1 to 80 characters; shortcut: optional, 1 to 24 of a-z 0-9 _ -, unique (agents type /shortcut and a space); text: 1 to 2000 characters, with the variables {{first_name}}, {{practice_name}}, {{agent_name}} and {{location_hours}}, which the console fills in before the agent sends. An unknown variable is refused, naming the item (items[2].text).",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CannedResponses"}}}},
        "responses": {"200": {"description": "stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CannedResponses"}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}}}
    },
)JSON";
  static constexpr const char kTail[] = R"JSON(    "/api/v1/settings/email": {
      "get": {"summary": "The practice's mail account (admin); never the password", "responses": {"200": {"description": "account", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EmailSettings"}}}}, "403": {"$ref": "#/components/responses/Error"}}},
      "put": {"summary": "Set the practice's mail account (admin)", "description": "Replies in email conversations and codes by email are submitted over SMTP to smtp_url: smtps://HOST[:465] (TLS from the start) or smtp://HOST[:587] (STARTTLS required, except to a relay on this machine, 127.0.0.1). AUTH with smtp_username and smtp_password when a username is given. address is the From and the envelope sender; display_name defaults to the practice's name. smtp_password may be left out to keep the stored one (sealed at rest). imap_url names a mailbox to poll for practices on hosted mail (imaps://HOST/MAILBOX, or imap:// with STARTTLS; logged in as smtp_username, else the address, with smtp_password): every poll takes the messages that arrived since imap_url was set and are not yet flagged CareDeskStored, and flags each once stored.",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["address", "smtp_url"], "additionalProperties": false, "properties": {"address": {"type": "string"}, "display_name": {"type": "string"}, "smtp_url": {"type": "string"}, "smtp_username": {"type": "string"}, "smtp_password": {"type": "string"}, "imap_url": {"type": "string"}}}}}},
        "responses": {"200": {"description": "stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EmailSettings"}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/settings/sms": {
      "get": {"summary": "The practice's SMS provider account (admin); never the auth token", "responses": {"200": {"description": "account", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SmsSettings"}}}}, "403": {"$ref": "#/components/responses/Error"}}},
      "put": {"summary": "Set the practice's SMS provider account (admin)", "description": "Any Twilio-compatible provider: messages go to POST {base_url}/2010-04-01/Accounts/{account_sid}/Messages.json with HTTP Basic (account_sid, auth_token). Give from (the practice's E.164 number) or messaging_service_sid. auth_token may be left out to keep the stored one (sealed at rest). idempotency_header names a request header the provider honours to drop repeated sends (Twilio has none): only then is a send interrupted by a crash repeated.",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["account_sid"], "additionalProperties": false, "properties": {"base_url": {"type": "string"}, "account_sid": {"type": "string"}, "auth_token": {"type": "string"}, "from": {"type": "string"}, "messaging_service_sid": {"type": "string"}, "idempotency_header": {"type": "string"}, "help_contact": {"type": "string", "description": "added to the answer to HELP, e.g. call 312-555-0100"}, "quiet_hours": {"type": "string", "description": "HH:MM-HH:MM in the practice's time zone; texts the practice starts wait until they end (replies and codes do not)"}}}}}},
        "responses": {"200": {"description": "stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SmsSettings"}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/settings/oidc": {
      "get": {"summary": "The practice's identity provider (admin); never the client secret", "responses": {"200": {"description": "provider", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OidcProvider"}}}}, "403": {"$ref": "#/components/responses/Error"}}},
      "put": {"summary": "Set the practice's identity provider (admin)", "description": "client_secret may be left out to keep the stored one (sealed at rest). Turning sign-in on needs a client secret and the server's public_url, and checks that the issuer answers discovery (503 when it does not). The issuer must be https (http only on loopback).",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["enabled", "issuer", "client_id"], "additionalProperties": false, "properties": {"enabled": {"type": "boolean"}, "issuer": {"type": "string", "maxLength": 512}, "client_id": {"type": "string", "maxLength": 256}, "client_secret": {"type": "string", "maxLength": 1024}, "accept_provider_mfa": {"type": "boolean", "description": "whether the provider's amr mfa counts as the second factor; left out: as stored (true at first)"}}}}}},
        "responses": {"200": {"description": "stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OidcProvider"}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/me": {"get": {"summary": "The caller", "responses": {"200": {"description": "user and tenant", "content": {"application/json": {"schema": {"type": "object", "required": ["user_id", "email", "display_name", "role", "tenant", "second_factor", "scopes", "session_idle_seconds"], "properties": {
        "second_factor": {"type": "object", "required": ["enabled", "required", "setup_pending", "recovery_codes_left"], "properties": {"enabled": {"type": "boolean"}, "required": {"type": "boolean"}, "setup_pending": {"type": "boolean"}, "recovery_codes_left": {"type": "integer"}}},
        "scopes": {"type": "array", "items": {"type": "string"}, "description": "what this credential may do; [\"*\"] for a session"},
        "csrf_token": {"type": "string", "description": "a browser session's token for X-CSRF-Token (absent for API tokens)"},
        "session_idle_seconds": {"type": "integer", "description": "automatic logoff: the console signs out after this long without input from its user"},
        "user_id": {"type": "integer"}, "email": {"type": "string"}, "display_name": {"type": "string"}, "role": {"type": "string", "enum": ["agent", "supervisor", "counselor", "admin", "auditor"]},
        "tenant": {"type": "object", "required": ["id", "slug", "name", "time_zone"], "properties": {"id": {"type": "integer"}, "slug": {"type": "string"}, "name": {"type": "string"}, "time_zone": {"type": "string"}}}}}}}}, "401": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/sessions": {"get": {"summary": "Signed-in sessions", "description": "The caller's sessions that are neither ended nor expired; an admin may ask for another user's (user_id=N) or everyone's (user_id=all). Needs the account scope.",
        "parameters": [{"name": "user_id", "in": "query", "schema": {"type": "string"}, "description": "a user id or all (admins)"}],
        "responses": {"200": {"description": "sessions", "content": {"application/json": {"schema": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Session"}}}}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/sessions/{id}": {"delete": {"summary": "End a session (one's own; an admin: anyone's in the practice)", "parameters": [{"$ref": "#/components/parameters/id"}],
        "responses": {"204": {"description": "ended"}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/tokens": {
      "get": {"summary": "API tokens (never their secrets)", "parameters": [{"name": "user_id", "in": "query", "schema": {"type": "string"}, "description": "a user id or all (admins)"}],
        "responses": {"200": {"description": "tokens, newest first, revoked ones included", "content": {"application/json": {"schema": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Token"}}}}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}}},
      "post": {"summary": "A new API token for the caller, shown once", "description": "Scopes: inbox:read, inbox:write, messages:write, patients:read, patients:write, settings:read, settings:write, audit:read, reports:read, account. A token never does more than its user's role allows, and a token cannot make a token with scopes it lacks. Expires after expires_in_days (default 90, at most 365).",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name", "scopes"], "additionalProperties": false, "properties": {"name": {"type": "string", "maxLength": 100}, "scopes": {"type": "array", "items": {"type": "string"}, "minItems": 1}, "expires_in_days": {"type": "integer", "minimum": 1, "maximum": 365}}}}}},
        "responses": {"201": {"description": "the token; its secret is never shown again", "content": {"application/json": {"schema": {"type": "object", "required": ["id", "token", "name", "scopes", "created_at", "expires_at"], "properties": {"id": {"type": "integer"}, "token": {"type": "string"}, "name": {"type": "string"}, "scopes": {"type": "array", "items": {"type": "string"}}, "created_at": {"type": "string", "format": "date-time"}, "expires_at": {"type": "string", "format": "date-time", "nullable": true}}}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/tokens/{id}": {"delete": {"summary": "Revoke a token (one's own; an admin: anyone's in the practice); it stops working at once", "parameters": [{"$ref": "#/components/parameters/id"}],
        "responses": {"204": {"description": "revoked"}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/me/second-factor": {"post": {"summary": "Start setting up two-factor sign-in", "description": "Answers a new TOTP secret (RFC 6238: SHA-1, 6 digits, 30 s) and the otpauth:// URI to show as a QR code. Nothing changes until it is confirmed with a code. 409 when two-factor sign-in is already on.",
        "responses": {"201": {"description": "the secret", "content": {"application/json": {"schema": {"type": "object", "required": ["secret", "otpauth_uri"], "properties": {"secret": {"type": "string"}, "otpauth_uri": {"type": "string"}}}}}}, "400": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/me/second-factor/confirm": {"post": {"summary": "Turn two-factor sign-in on with a code from the app", "description": "Answers ten single-use recovery codes, shown once. A session that had to set up its second factor may then do what its role allows.",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["code"], "additionalProperties": false, "properties": {"code": {"type": "string"}}}}}},
        "responses": {"200": {"description": "on", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RecoveryCodes"}}}}, "400": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/me/recovery-codes": {"post": {"summary": "Ten new recovery codes in place of the old ones (needs a current code)",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["code"], "additionalProperties": false, "properties": {"code": {"type": "string"}}}}}},
        "responses": {"200": {"description": "the new codes", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RecoveryCodes"}}}}, "400": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/conversations/{id}/verification": {"get": {"summary": "Whether the person in the conversation is verified, and what may and may not be said", "parameters": [{"$ref": "#/components/parameters/id"}],
        "responses": {"200": {"description": "the state", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Verification"}}}}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/conversations/{id}/verification/check": {"post": {"summary": "Compare what the person states with the record (the patient's, or a representative's)", "description": "Answers only matches or does_not_match, never the record. Three mismatches fail the verification and flag the conversation; a sender that is not the phone or email on record flags it too. Audited.", "parameters": [{"$ref": "#/components/parameters/id"}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name", "date_of_birth"], "additionalProperties": false, "properties": {"name": {"type": "string"}, "date_of_birth": {"type": "string", "description": "YYYY-MM-DD or MM/DD/YYYY"}, "representative_id": {"type": "integer"}}}}}},
        "responses": {"200": {"description": "the comparison", "content": {"application/json": {"schema": {"type": "object", "required": ["result", "verification"], "properties": {"result": {"type": "string", "enum": ["matches", "does_not_match"]}, "verification": {"$ref": "#/components/schemas/Verification"}}}}}}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/conversations/{id}/verification/code": {"post": {"summary": "Send a one-time code to the phone or email on record (after matching details)", "description": "The code goes to the outbox for the channel's sender; it is never in any answer. Valid 10 minutes.", "parameters": [{"$ref": "#/components/parameters/id"}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["channel"], "additionalProperties": false, "properties": {"channel": {"type": "string", "enum": ["sms", "email"]}}}}}},
        "responses": {"202": {"description": "queued", "content": {"application/json": {"schema": {"type": "object", "required": ["sent_to", "expires_at", "verification"], "properties": {"sent_to": {"type": "string", "description": "masked"}, "expires_at": {"type": "string", "format": "date-time"}, "verification": {"$ref": "#/components/schemas/Verification"}}}}}}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/conversations/{id}/verification/confirm": {"post": {"summary": "Confirm the code the person read back", "description": "Verified for 8 hours. Three wrong codes fail the verification and flag the conversation.", "parameters": [{"$ref": "#/components/parameters/id"}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["code"], "additionalProperties": false, "properties": {"code": {"type": "string"}}}}}},
        "responses": {"200": {"description": "the outcome", "content": {"application/json": {"schema": {"type": "object", "required": ["result", "verification"], "properties": {"result": {"type": "string", "enum": ["verified", "wrong_code"]}, "verification": {"$ref": "#/components/schemas/Verification"}}}}}}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/patients/{id}/representatives": {
      "get": {"summary": "The patient's authorized representatives", "parameters": [{"$ref": "#/components/parameters/id"}],
        "responses": {"200": {"description": "representatives", "content": {"application/json": {"schema": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Representative"}}}}}}}, "404": {"$ref": "#/components/responses/Error"}}},
      "post": {"summary": "Record someone the patient authorized, and what they may be told", "parameters": [{"$ref": "#/components/parameters/id"}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name", "relationship", "date_of_birth", "scope"], "additionalProperties": false, "properties": {"name": {"type": "string"}, "relationship": {"type": "string"}, "date_of_birth": {"type": "string"}, "phone": {"type": "string"}, "email": {"type": "string"}, "scope": {"type": "array", "items": {"type": "string", "enum": ["scheduling", "billing", "clinical", "records"]}}}}}}},
        "responses": {"201": {"description": "recorded", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Representative"}}}}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/representatives/{id}": {"delete": {"summary": "Revoke a representative's authorization", "parameters": [{"$ref": "#/components/parameters/id"}],
        "responses": {"204": {"description": "revoked"}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/alerts": {"get": {"summary": "Conversations flagged as possible social engineering, newest first (supervisors, admins)",
        "responses": {"200": {"description": "alerts", "content": {"application/json": {"schema": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {"type": "object", "required": ["kind", "verification_id", "conversation_id", "patient_id", "reason", "state", "failures", "started_by", "created_at"]}}}}}}}}}},
    "/api/v1/users": {
      "get": {"summary": "The practice's staff: names, roles, queues, and whether two-factor sign-in is set up",
        "responses": {"200": {"description": "users", "content": {"application/json": {"schema": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}}}}}}}},
      "post": {"summary": "A new staff user (admins); the password follows the password policy",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["email", "role", "password"], "additionalProperties": false, "properties": {"email": {"type": "string"}, "display_name": {"type": "string"}, "role": {"type": "string"}, "queues": {"type": "array", "items": {"type": "string"}}, "languages": {"type": "array", "items": {"type": "string"}}, "phone_agents": {"type": "array", "maxItems": 8, "items": {"type": "string", "minLength": 1, "maxLength": 128}}, "password": {"type": "string"}}}}}},
        "responses": {"201": {"description": "created", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/users/{id}": {"patch": {"summary": "Change a user's name, role, queues, languages, phone agent names or active state (admins)", "description": "Deactivating ends the user's sessions and API tokens at once. phone_agents: the phone system's names for this person, each 1 to 128 characters without control characters, commas or |; a name another user has is refused (409). New names make the figures count every call again, so past calls under those names become this person's. Admins cannot demote or deactivate themselves (409). identity_provider_linked false unlinks the user from the provider's identity and ends their sessions; the next provider sign-in links by verified email again.", "parameters": [{"$ref": "#/components/parameters/id"}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "properties": {"display_name": {"type": "string"}, "role": {"type": "string"}, "queues": {"type": "array", "items": {"type": "string"}}, "languages": {"type": "array", "items": {"type": "string"}}, "phone_agents": {"type": "array", "maxItems": 8, "items": {"type": "string", "minLength": 1, "maxLength": 128}}, "active": {"type": "boolean"}, "identity_provider_linked": {"type": "boolean", "enum": [false]}}}}}},
        "responses": {"200": {"description": "updated", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/users/{id}/second-factor/reset": {"post": {"summary": "A lost phone: turn the user's two-factor sign-in off and end their sessions (admins); they set it up again at the next sign-in", "parameters": [{"$ref": "#/components/parameters/id"}],
        "responses": {"204": {"description": "reset"}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/me/password": {"post": {"summary": "Change one's password; every other session of the user ends",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["current_password", "new_password"], "additionalProperties": false, "properties": {"current_password": {"type": "string"}, "new_password": {"type": "string"}}}}}},
        "responses": {"204": {"description": "changed"}, "400": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/reports/kpis": {
      "get": {"summary": "The practice's figures for a period (supervisors, admins, auditors)", "description": "from and to are local dates of the practice, inclusive, at most three years apart. Optional cuts: channel, queue, agent (a staff user's id for conversations and for calls taken under one of their phone names, else the phone system's member name), category, location (a location's id; calls have none), policy (an SLA policy's id, 0 the default; calls have none), hour (0-23 local), weekday (0 Sunday to 6 Saturday). No cut, one, or one and the hour read a row per day; other combinations read every fine cell of the period and are slower. metrics maps each metric's stable name to its value (null when there is nothing to measure; rates are fractions from 0 to 1, times are seconds), the number of contacts it is over, and its definition. Conversations and calls are counted on the local day and hour they began. The figures follow the event log about a second behind. backlog is now, not the period's. Token scope: reports:read.",
        "parameters": [{"name": "from", "in": "query", "required": true, "schema": {"type": "string", "format": "date"}}, {"name": "to", "in": "query", "required": true, "schema": {"type": "string", "format": "date"}}, {"name": "channel", "in": "query", "schema": {"type": "string", "enum": ["chat", "sms", "email", "phone", "web"]}}, {"name": "queue", "in": "query", "schema": {"type": "string"}}, {"name": "agent", "in": "query", "schema": {"type": "string"}}, {"name": "category", "in": "query", "schema": {"type": "string"}}, {"name": "location", "in": "query", "description": "a location's id", "schema": {"type": "integer", "minimum": 1}}, {"name": "policy", "in": "query", "description": "an SLA policy's id (0: the default)", "schema": {"type": "integer", "minimum": 0}}, {"name": "hour", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 23}}, {"name": "weekday", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 6}}],
        "responses": {"200": {"description": "the figures", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Kpis"}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/reports/kpis/daily": {
      "get": {"summary": "The figures for each local day of a period, and the backlog each day (supervisors, admins, auditors)", "description": "The same period (at most a year) and cuts as /api/v1/reports/kpis. days has one entry per day, its metrics mapping each name to its value (null when there is nothing to measure). backlog lists the days the rollup recorded the open backlog (from the first day this version ran): open at the day's last change, and its peak. Token scope: reports:read.",
        "parameters": [{"name": "from", "in": "query", "required": true, "schema": {"type": "string", "format": "date"}}, {"name": "to", "in": "query", "required": true, "schema": {"type": "string", "format": "date"}}, {"name": "channel", "in": "query", "schema": {"type": "string"}}, {"name": "queue", "in": "query", "schema": {"type": "string"}}, {"name": "agent", "in": "query", "schema": {"type": "string"}}, {"name": "category", "in": "query", "schema": {"type": "string"}}, {"name": "location", "in": "query", "description": "a location's id", "schema": {"type": "integer", "minimum": 1}}, {"name": "policy", "in": "query", "description": "an SLA policy's id (0: the default)", "schema": {"type": "integer", "minimum": 0}}, {"name": "hour", "in": "query", "schema": {"type": "integer"}}, {"name": "weekday", "in": "query", "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "the days", "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "required": ["from", "to", "days", "backlog", "healthy_at_most", "add_staff_above"], "properties": {"from": {"type": "string"}, "to": {"type": "string"}, "healthy_at_most": {"type": "integer"}, "add_staff_above": {"type": "integer"}, "days": {"type": "array", "items": {"type": "object", "additionalProperties": false, "required": ["day", "metrics"], "properties": {"day": {"type": "string", "format": "date"}, "metrics": {"type": "object", "additionalProperties": {"type": "number", "nullable": true}}}}}, "backlog": {"type": "array", "items": {"type": "object", "additionalProperties": false, "required": ["day", "open", "peak"], "properties": {"day": {"type": "string", "format": "date"}, "open": {"type": "integer"}, "peak": {"type": "integer"}}}}}}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/reports/kpis/{metric}/conversations": {
      "get": {"summary": "The conversations and calls behind a metric's figure (drill-down; CSV with Accept: text/csv)", "description": "The same period and cuts as /api/v1/reports/kpis; metric is one of its names (not backlog_open, which is the inbox now). Oldest first, at most limit (500; up to 5000); truncated says there were more (narrow the period). One row per conversation or call: its id, local day and hour, channel, queue, agent, category, first response and resolution seconds, next responses, reopened, recontacted, and for calls the outcome, wait and handle seconds. No patient information.",
        "parameters": [{"name": "metric", "in": "path", "required": true, "schema": {"type": "string"}}, {"name": "from", "in": "query", "required": true, "schema": {"type": "string", "format": "date"}}, {"name": "to", "in": "query", "required": true, "schema": {"type": "string", "format": "date"}}, {"name": "channel", "in": "query", "schema": {"type": "string"}}, {"name": "queue", "in": "query", "schema": {"type": "string"}}, {"name": "agent", "in": "query", "schema": {"type": "string"}}, {"name": "category", "in": "query", "schema": {"type": "string"}}, {"name": "location", "in": "query", "description": "a location's id", "schema": {"type": "integer", "minimum": 1}}, {"name": "policy", "in": "query", "description": "an SLA policy's id (0: the default)", "schema": {"type": "integer", "minimum": 0}}, {"name": "hour", "in": "query", "schema": {"type": "integer"}}, {"name": "weekday", "in": "query", "schema": {"type": "integer"}}, {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 5000}}, {"name": "format", "in": "query", "description": "csv: the same as Accept: text/csv, for links", "schema": {"type": "string", "enum": ["csv", "json"]}}],
        "responses": {"200": {"description": "the rows", "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "required": ["metric", "from", "to", "items", "truncated"], "properties": {"metric": {"type": "string"}, "from": {"type": "string"}, "to": {"type": "string"}, "truncated": {"type": "boolean"}, "items": {"type": "array", "items": {"type": "object"}}}}}, "text/csv": {"schema": {"type": "string"}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/staffing": {
      "get": {"summary": "The staffing advisor's plan for each half-hour of an ISO week (supervisors, admins, auditors)", "description": "Measured over the weeks whole weeks before the week asked (default this week), or before this week for a week to come: per half-hour of the week and per kind of contact, the contacts that arrived (averaged per week) and their mean handle time, and the agents who were there (consoles set available or busy, phone agents logged in to a queue and not paused). Phone: Erlang C, or Erlang A once ten or more callers hung up waiting (mean patience = all offered callers' waits / abandons). Chat: Erlang C on the load divided by chat_concurrency. Messages (texts, email, web forms, callbacks, chats nobody could take live): their work spread over message_target_s (default: the SLA's first response for a front-desk text), at most max_occupancy busy; their handle time is assumed (message_aht_s, 240 s) as the event log does not measure time spent writing. agents_on_queue: phone and chat agents each, and at least all the work / max_occupancy; agents_scheduled adds shrinkage. alerts: add_staff where the plan needs more than the agents who were there by half an agent or more (\"Add a team member at 10:00 on Mondays\"), occupancy where even the plan keeps agents busier than max_occupancy, backlog above its healthy 50, no_presence_data when nobody's presence was recorded. Token scope: reports:read.",
        "parameters": [{"name": "week", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]{4}-W[0-9]{2}$"}}, {"name": "weeks", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 13, "default": 4}}, {"name": "phone_service_level", "in": "query", "schema": {"type": "number", "default": 0.8}}, {"name": "phone_target_s", "in": "query", "schema": {"type": "number", "default": 20}}, {"name": "chat_service_level", "in": "query", "schema": {"type": "number", "default": 0.8}}, {"name": "chat_target_s", "in": "query", "schema": {"type": "number", "default": 60}}, {"name": "chat_concurrency", "in": "query", "schema": {"type": "number", "default": 2}}, {"name": "shrinkage", "in": "query", "schema": {"type": "number", "default": 0.3}}, {"name": "max_occupancy", "in": "query", "schema": {"type": "number", "default": 0.85}}, {"name": "message_aht_s", "in": "query", "schema": {"type": "number", "default": 240}}, {"name": "message_target_s", "in": "query", "schema": {"type": "number"}}],
        "responses": {"200": {"description": "the plan", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StaffingPlan"}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/staffing/erlang": {
      "get": {"summary": "Agents needed for one interval (Erlang C, or Erlang A with patience_s)", "description": "contacts arriving in interval_s seconds, each handled in aht_s seconds on average, answered service_level (a fraction) within target_s seconds. agents_on_queue is the fewest agents meeting it; agents_scheduled adds shrinkage (breaks, meetings; 0.3 unless given): agents_on_queue / (1 - shrinkage), rounded up. concurrency (chats an agent holds at once, default 1) divides the load. occupancy_high warns above max_occupancy (0.85). With patience_s (callers' mean patience, measured from abandonment) Erlang A is used, which counts callers who give up. Defaults: service_level 0.8, target_s 20. Example: 100 contacts in 1800 s, aht 180 s, 80% in 20 s, shrinkage 0.3: 14 on queue, 20 scheduled.",
        "parameters": [{"name": "contacts", "in": "query", "required": true, "schema": {"type": "number"}}, {"name": "interval_s", "in": "query", "required": true, "schema": {"type": "number"}}, {"name": "aht_s", "in": "query", "required": true, "schema": {"type": "number"}}, {"name": "target_s", "in": "query", "schema": {"type": "number"}}, {"name": "service_level", "in": "query", "schema": {"type": "number"}}, {"name": "shrinkage", "in": "query", "schema": {"type": "number"}}, {"name": "max_occupancy", "in": "query", "schema": {"type": "number"}}, {"name": "concurrency", "in": "query", "schema": {"type": "number"}}, {"name": "patience_s", "in": "query", "schema": {"type": "number"}}],
        "responses": {"200": {"description": "the need", "content": {"application/json": {"schema": {"type": "object", "required": ["offered_load_erlangs", "agents_on_queue", "agents_scheduled", "service_level", "asa_s", "occupancy", "occupancy_high", "method"], "properties": {"offered_load_erlangs": {"type": "number"}, "agents_on_queue": {"type": "integer"}, "agents_scheduled": {"type": "integer"}, "service_level": {"type": "number"}, "asa_s": {"type": "number", "nullable": true}, "occupancy": {"type": "number"}, "occupancy_high": {"type": "boolean"}, "method": {"type": "string", "enum": ["erlang_c", "erlang_a"]}, "abandon_probability": {"type": "number"}}}}}}, "400": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/calls": {
      "post": {"summary": "A phone call, as any phone system saw it, once it ended", "description": "call_id is the phone system's id for the call; posting it again replaces the record (200) instead of adding one. outcome: answered (needs answered_at), abandoned (the caller hung up waiting), timed_out (the queue's wait limit), no_agents (nobody logged in), left_by_key (the caller pressed exit_key, usually for a callback). Times are RFC 3339; wait and talk seconds are computed from them; hold_seconds and wrap_seconds (after-call work) count toward handle time. from is the caller's number: it finds or creates the patient and is not kept with the call. A caller who was not answered (abandons of 10 s or more, time-outs, empty queues, key exits) and is known by number gets a callback task in the inbox: a phone conversation tagged callback, with the phone SLA, in the call's queue if staff serve one of that name, else front-desk. Calls that ended over 24 hours before they are posted are counted but get no task. Token scope: messages:write.",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "required": ["call_id", "outcome", "entered_at", "ended_at"], "properties": {"call_id": {"type": "string", "maxLength": 128}, "queue": {"type": "string", "maxLength": 64}, "from": {"type": "string"}, "agent": {"type": "string", "maxLength": 128}, "outcome": {"type": "string", "enum": ["answered", "abandoned", "timed_out", "no_agents", "left_by_key"]}, "entered_at": {"type": "string", "format": "date-time"}, "answered_at": {"type": "string", "nullable": true, "format": "date-time"}, "ended_at": {"type": "string", "format": "date-time"}, "hold_seconds": {"type": "integer", "minimum": 0, "maximum": 86400}, "wrap_seconds": {"type": "integer", "minimum": 0, "maximum": 86400}, "exit_key": {"type": "string", "maxLength": 8}}}}}},
        "responses": {"201": {"description": "stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Call"}}}},
                      "200": {"description": "replaced the record posted before with this call_id", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Call"}}}},
                      "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}}},
      "get": {"summary": "Calls, newest first: a patient's (their history) or everyone's", "description": "From POST /api/v1/calls and from caredesk import queue-log. Listing a patient's calls is audited as a read of their information.",
        "parameters": [{"name": "patient_id", "in": "query", "schema": {"type": "integer"}}, {"name": "before", "in": "query", "description": "next_before of the previous page", "schema": {"type": "integer"}}, {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}],
        "responses": {"200": {"description": "a page", "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "required": ["items", "next_before"], "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Call"}}, "next_before": {"type": "integer", "nullable": true}}}}}}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/messages": {
      "post": {"summary": "An inbound message from any channel", "description": "Finds or creates the patient (by patient_id, else by phone or email in from) and their open conversation, reopens one resolved within 7 days, or opens a new one. A repeated Idempotency-Key answers 200 with the first response's body; the same key with a different body answers 409.",
        "parameters": [{"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string", "maxLength": 200}}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/InboundMessage"}}}},
        "responses": {"201": {"description": "stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/InboundResult"}}}},
                      "200": {"description": "idempotent repeat", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/InboundResult"}}}},
                      "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                      "409": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}, "415": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/conversations": {
      "post": {"summary": "Start a conversation with a patient by text or email (staff)",
        "description": "The message goes through the outbox in the same transaction as the conversation: a text waits out the practice's quiet hours (it is one the practice starts); an email gets subject (default: the practice's name) and is a person's mail, not marked Auto-Submitted. The conversation opens pending, waiting on the patient, with no first-response time (nobody asked). 409 when the patient has no phone (field phone) or email (field email) to write to, or the number opted out of texts (field consent); 403 for a queue the caller does not serve; 404 for another practice's patient. For a text, sms_segments says how it is sent (GSM-7 or UCS-2) and in how many parts.",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["patient_id", "channel", "text"], "additionalProperties": false, "properties": {"patient_id": {"type": "integer"}, "channel": {"type": "string", "enum": ["sms", "email"]}, "text": {"type": "string"}, "queue": {"type": "string"}, "subject": {"type": "string"}}}}}},
        "responses": {"201": {"description": "started", "content": {"application/json": {"schema": {"type": "object", "required": ["conversation", "message_id"], "properties": {"conversation": {"$ref": "#/components/schemas/Conversation"}, "message_id": {"type": "integer"}, "sms_segments": {"type": "object", "required": ["encoding", "segments"], "properties": {"encoding": {"type": "string", "enum": ["gsm7", "ucs2"]}, "segments": {"type": "integer"}}}}}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}},
      "get": {"summary": "The inbox", "parameters": [
          {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["open", "pending", "resolved", "closed"]}},
          {"name": "queue", "in": "query", "schema": {"type": "string"}},
          {"name": "assignee", "in": "query", "schema": {"type": "string"}, "description": "a user id, me, or none"},
          {"name": "channel", "in": "query", "schema": {"type": "string"}},
          {"name": "category", "in": "query", "schema": {"type": "string"}},
          {"name": "sla", "in": "query", "schema": {"type": "string", "enum": ["at_risk", "breached", "at_risk_or_breached"]}},
          {"name": "patient_id", "in": "query", "schema": {"type": "integer"}},
          {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200}, "description": "words that must all appear in the conversation's messages"},
          {"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["recent", "time_left"]}},
          {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
          {"name": "cursor", "in": "query", "schema": {"type": "string"}}],
        "responses": {"200": {"description": "a page", "content": {"application/json": {"schema": {"type": "object", "required": ["items", "next_cursor"], "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Conversation"}}, "next_cursor": {"type": "string", "nullable": true}}}}}}, "400": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/conversations/{id}": {
      "get": {"summary": "A conversation with its patient, messages and events", "parameters": [{"$ref": "#/components/parameters/id"}],
        "responses": {"200": {"description": "the conversation", "content": {"application/json": {"schema": {"allOf": [{"$ref": "#/components/schemas/Conversation"}, {"type": "object", "required": ["patient", "verification", "messages", "events", "sms_consent"], "properties": {"patient": {"$ref": "#/components/schemas/MaskablePatient"}, "verification": {"$ref": "#/components/schemas/Verification"}, "sms_consent": {"description": "whether the patient's number may be texted: null when the patient has no phone; opted_out after STOP (replies and codes by text are then refused with 409), keyword and changed_at null if the number never sent a keyword", "type": "object", "nullable": true, "required": ["opted_out", "keyword", "changed_at"], "properties": {"opted_out": {"type": "boolean"}, "keyword": {"type": "string", "nullable": true}, "changed_at": {"type": "string", "format": "date-time", "nullable": true}}}, "messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}}, "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}}}]}}}}, "404": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/conversations/{id}/files": {
      "post": {"summary": "Upload a file to send with the next email reply (staff)", "description": "The body is the file (up to max_upload_bytes); a photo or a PDF, known by its first bytes (415 otherwise). It waits as a draft of the conversation until a reply names it in attachment_ids.", "parameters": [{"$ref": "#/components/parameters/id"}, {"name": "name", "in": "query", "schema": {"type": "string"}}],
        "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
        "responses": {"201": {"description": "kept", "content": {"application/json": {"schema": {"type": "object", "required": ["id", "filename", "content_type", "size"], "properties": {"id": {"type": "integer"}, "filename": {"type": "string"}, "content_type": {"type": "string"}, "size": {"type": "integer"}}}}}}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}, "415": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/conversations/{id}/replies": {
      "post": {"summary": "Reply to the patient; optionally set the status after it", "description": "A reply that contains the record's date of birth, phone or email, or words of results and diagnoses, while the person is not verified for them (see verification), answers 409 with field override_phi_warning and is not sent; sending it again with override_phi_warning true sends it and records the override in the audit log.", "parameters": [{"$ref": "#/components/parameters/id"}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["text"], "additionalProperties": false, "properties": {"text": {"type": "string"}, "status": {"type": "string", "enum": ["open", "pending", "resolved"]}, "override_phi_warning": {"type": "boolean"}, "attachment_ids": {"type": "array", "maxItems": 5, "items": {"type": "integer"}, "description": "files uploaded for this reply (POST .../files); email replies only (409 otherwise); each goes out once"}}}}}},
        "responses": {"201": {"description": "stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CommandResult"}}}}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/conversations/{id}/notes": {
      "post": {"summary": "An internal note", "parameters": [{"$ref": "#/components/parameters/id"}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["text"], "additionalProperties": false, "properties": {"text": {"type": "string"}}}}}},
        "responses": {"201": {"description": "stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CommandResult"}}}}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/conversations/{id}/assign": {
      "post": {"summary": "Assign to a user (null to unassign), move to a queue, set priority, category or location (null for none)", "parameters": [{"$ref": "#/components/parameters/id"}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "properties": {"assignee_id": {"type": "integer", "nullable": true}, "queue": {"type": "string"}, "priority": {"type": "string"}, "category": {"type": "string"}, "location_id": {"type": "integer", "nullable": true}}}}}},
        "responses": {"200": {"description": "updated", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CommandResult"}}}}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/conversations/{id}/status": {
      "post": {"summary": "Change the status (closed is final)", "parameters": [{"$ref": "#/components/parameters/id"}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["status"], "additionalProperties": false, "properties": {"status": {"type": "string", "enum": ["open", "pending", "resolved", "closed"]}}}}}},
        "responses": {"200": {"description": "updated", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CommandResult"}}}}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/conversations/{id}/survey": {
      "post": {"summary": "Record a patient's survey answer about the conversation (supervisors, admins; a survey tool's token)", "description": "survey csat: how satisfied, 1 to 5 (4 and 5 count as satisfied); nps: how likely to recommend the practice, 0 to 10. The figures count the latest answer of each kind per conversation, on the day it began. Any status.", "parameters": [{"$ref": "#/components/parameters/id"}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["survey", "score"], "additionalProperties": false, "properties": {"survey": {"type": "string", "enum": ["csat", "nps"]}, "score": {"type": "integer", "minimum": 0, "maximum": 10}}}}}},
        "responses": {"200": {"description": "recorded", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CommandResult"}}}}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/conversations/{id}/tags": {
      "post": {"summary": "Replace the tags", "parameters": [{"$ref": "#/components/parameters/id"}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["tags"], "additionalProperties": false, "properties": {"tags": {"type": "array", "maxItems": 20, "items": {"type": "string", "pattern": "^[a-z0-9_:-]{1,40}$"}}}}}}},
        "responses": {"200": {"description": "updated", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CommandResult"}}}}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/patients": {
      "get": {"summary": "Search patients by name, phone (any written form) or email", "parameters": [
          {"name": "q", "in": "query", "schema": {"type": "string"}}, {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}}, {"name": "cursor", "in": "query", "schema": {"type": "string"}}],
        "responses": {"200": {"description": "a page", "content": {"application/json": {"schema": {"type": "object", "required": ["items", "next_cursor"], "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Patient"}}, "next_cursor": {"type": "string", "nullable": true}}}}}}}},
      "post": {"summary": "Create a patient", "requestBody": {"required": true, "content": {"application/json": {"schema": {"allOf": [{"$ref": "#/components/schemas/PatientInput"}, {"required": ["name"]}]}}}},
        "responses": {"201": {"description": "created", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Patient"}}}}, "400": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/patients/{id}": {
      "get": {"summary": "A patient", "parameters": [{"$ref": "#/components/parameters/id"}], "responses": {"200": {"description": "the patient", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Patient"}}}}, "404": {"$ref": "#/components/responses/Error"}}},
      "patch": {"summary": "Update some fields; null clears an optional one", "parameters": [{"$ref": "#/components/parameters/id"}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PatientInput"}}}},
        "responses": {"200": {"description": "updated", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Patient"}}}}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/patients/{id}/access-log": {
      "get": {"summary": "Who saw or changed this patient's information, newest first (admins)", "description": "The records about the patient and the inbox pages and searches that showed them. Looking is itself recorded.",
        "parameters": [{"$ref": "#/components/parameters/id"}, {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}}, {"name": "cursor", "in": "query", "schema": {"type": "string"}}],
        "responses": {"200": {"description": "a page", "content": {"application/json": {"schema": {"type": "object", "required": ["items", "next_cursor"], "properties": {
          "items": {"type": "array", "items": {"type": "object", "required": ["id", "at", "actor_id", "session", "remote_address", "action", "object_type", "object_id"], "properties": {
            "id": {"type": "integer"}, "at": {"type": "string", "format": "date-time"}, "actor_id": {"type": "integer", "nullable": true}, "session": {"type": "string"}, "remote_address": {"type": "string"},
            "action": {"type": "string"}, "object_type": {"type": "string"}, "object_id": {"type": "integer", "nullable": true}}}},
          "next_cursor": {"type": "string", "nullable": true}}}}}},
          "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/settings": {
      "get": {"summary": "The practice's name, time zone, business hours and holidays", "responses": {"200": {"description": "settings", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Settings"}}}}}},
      "patch": {"summary": "Change settings (admin). A new time zone, hours or holidays reschedules every running SLA deadline in the same commit.",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SettingsInput"}}}},
        "responses": {"200": {"description": "updated", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Settings"}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/locations": {
      "get": {"summary": "The practice's locations", "responses": {"200": {"description": "all locations", "content": {"application/json": {"schema": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Location"}}}}}}}}},
      "post": {"summary": "Add a location (admin)", "requestBody": {"required": true, "content": {"application/json": {"schema": {"allOf": [{"$ref": "#/components/schemas/LocationInput"}, {"required": ["name"]}]}}}},
        "responses": {"201": {"description": "created", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Location"}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/locations/{id}": {
      "patch": {"summary": "Change a location (admin)", "parameters": [{"$ref": "#/components/parameters/id"}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LocationInput"}}}},
        "responses": {"200": {"description": "updated", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Location"}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/sla-policies": {
      "get": {"summary": "Response-time targets, and the default that applies when none matches", "responses": {"200": {"description": "policies", "content": {"application/json": {"schema": {"type": "object", "required": ["items", "default"], "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/SlaPolicy"}}, "default": {"$ref": "#/components/schemas/SlaPolicy"}}}}}}}},
      "post": {"summary": "Add a policy (admin or supervisor); applies to conversations opened or routed afterwards", "requestBody": {"required": true, "content": {"application/json": {"schema": {"allOf": [{"$ref": "#/components/schemas/SlaPolicyInput"}, {"required": ["name"]}]}}}},
        "responses": {"201": {"description": "created", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SlaPolicy"}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/v1/sla-policies/{id}": {
      "patch": {"summary": "Change a policy (admin or supervisor)", "parameters": [{"$ref": "#/components/parameters/id"}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SlaPolicyInput"}}}},
        "responses": {"200": {"description": "updated", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SlaPolicy"}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}},
      "delete": {"summary": "Remove a policy (admin or supervisor)", "parameters": [{"$ref": "#/components/parameters/id"}],
        "responses": {"204": {"description": "removed"}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
    }
  }
})JSON";
  static const std::string kDoc = std::string(kHead) + kChat + kTail;
  return kDoc;
}

}  // namespace caredesk::http
