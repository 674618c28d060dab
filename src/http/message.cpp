#include "http/message.hpp"

#include <algorithm>
#include <iterator>

#include "base/text.hpp"

namespace caredesk::http {

void Headers::Set(std::string_view name, std::string value) {
  std::string key = AsciiLower(name);
  auto named = [&](const auto& item) { return item.first == key; };
  auto first = std::find_if(items_.begin(), items_.end(), named);
  if (first == items_.end()) {
    items_.emplace_back(std::move(key), std::move(value));
    return;
  }
  first->second = std::move(value);
  // Later fields of the same name (from Add) would otherwise still be sent.
  items_.erase(std::remove_if(std::next(first), items_.end(), named), items_.end());
}

void Headers::Add(std::string_view name, std::string value) {
  items_.emplace_back(AsciiLower(name), std::move(value));
}

std::optional<std::string_view> Headers::Get(std::string_view name) const {
  std::string key = AsciiLower(name);
  for (const auto& [k, v] : items_) {
    if (k == key) return std::string_view(v);
  }
  return std::nullopt;
}

std::optional<std::string_view> Request::Query(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    std::string_view k = part.substr(0, eq);
    std::string_view v = eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1);
    out.emplace_back(PercentDecode(k, true), PercentDecode(v, true));
  }
  return out;
}

std::optional<std::string_view> CookieValue(const Request& req, std::string_view name) {
  auto header = req.headers.Get("cookie");
  if (!header) return std::nullopt;
  std::string_view rest = *header;
  while (!rest.empty()) {
    auto semi = rest.find(';');
    std::string_view pair = Trim(rest.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
  }
  return std::nullopt;
}

}  // namespace caredesk::http
