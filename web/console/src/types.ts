// The API's shapes, as the console uses them (see /api/openapi.json).
export interface Me {
  user_id: number;
  email: string;
  display_name: string;
  role: "admin" | "supervisor" | "agent" | "counselor" | "auditor";
  tenant: { id: number; slug: string; name: string; time_zone: string };
  second_factor: { enabled: boolean; required: boolean; setup_pending: boolean };
  csrf_token?: string;
  session_idle_seconds: number;
}
export interface User {
  id: number;
  display_name: string;
  role: string;
  queues: string[];
  phone_agents: string[];
  active: boolean;
}
export interface Sla {
  state: string;
  due_at: string | null;
  time_left_ms: number | null;
}
export interface Conversation {
  id: number;
  patient_id: number;
  patient_name?: string;
  channel: string;
  status: string;
  priority: string;
  queue: string;
  assignee_id: number | null;
  category: string;
  location_id: number | null;
  tags: string[];
  last_message_at: string;
  awaiting_agent: boolean;
  sla: Sla;
}
export interface Attachment {
  id: number;
  filename: string;
  content_type: string;
  size: number;
}
export interface Message {
  id: number;
  conversation_id: number;
  kind: "inbound" | "outbound" | "note";
  channel: string;
  author_id: number | null;
  from: string | null;
  text: string;
  delivery_status: string;
  metadata: Record<string, unknown>;
  created_at: string;
  attachments?: Attachment[];
}
export interface Patient {
  id: number;
  name: string;
  date_of_birth: string | null;
  phone: string | null;
  email: string | null;
  language: string;
  preferred_channel: string | null;
  consent_sms: boolean;
  consent_email: boolean;
  masked?: boolean;
}
export interface Verification {
  state: string;
  verified: boolean;
  subject: string;
  failures: number;
  flagged: boolean;
  flag_reason: string | null;
  expires_at: string | null;
  may_disclose: string[];
  may_not_disclose: string[];
  guidance: string;
}
export interface ConversationDetail extends Conversation {
  patient: Patient;
  verification: Verification;
  sms_consent: { opted_out: boolean; keyword: string | null; changed_at: string | null } | null;
  messages: Message[];
}
export interface Chat {
  chat_id: number;
  conversation_id: number;
  state: string;
  queue: string;
  language: string;
  started_at: string;
  waited_seconds: number;
  offer_expires_at?: string | null;
  agent_id?: number;
  offered_to?: number;
  at_risk?: boolean;
  passed_over?: number;
}
// A phone call (GET /api/v1/calls).
export interface Call {
  id: number;
  call_id: string;
  queue: string;
  outcome: "waiting" | "talking" | "answered" | "abandoned" | "timed_out" | "no_agents" | "left_by_key";
  entered_at: string;
  wait_seconds: number;
  talk_seconds: number;
  agent: string;
  callback_conversation_id: number | null;
}
export interface Canned {
  title: string;
  shortcut: string;
  text: string;
}
export interface Location {
  id: number;
  name: string;
  business_hours: string | null;
}
