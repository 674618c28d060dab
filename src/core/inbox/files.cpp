#include "core/inbox/files.hpp"

#include "base/text.hpp"

namespace caredesk::core {

std::optional<std::string_view> SniffPatientFile(std::string_view b) {
  if (b.starts_with("\xFF\xD8\xFF")) return "image/jpeg";
  if (b.starts_with("\x89PNG\r\n\x1A\n")) return "image/png";
  if (b.starts_with("GIF87a") || b.starts_with("GIF89a")) return "image/gif";
  if (b.size() >= 12 && b.starts_with("RIFF") && b.substr(8, 4) == "WEBP") return "image/webp";
  if (b.size() >= 12 && b.substr(4, 4) == "ftyp") {
    std::string_view brand = b.substr(8, 4);
    if (brand == "heic" || brand == "heix" || brand == "mif1" || brand == "heif") {
      return "image/heic";
    }
  }
  if (b.starts_with("%PDF-")) return "application/pdf";
  return std::nullopt;
}

std::string SafeFileName(std::string_view name, std::string_view type) {
  if (auto slash = name.find_last_of("/\\"); slash != std::string_view::npos) {
    name.remove_prefix(slash + 1);
  }
  std::string out;
  if (IsValidUtf8(name)) {
    for (char c : name) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7F || c == '"' || c == '\'' || c == ';') continue;
      out.push_back(c);
    }
  }
  // Cut at 100 bytes without splitting a character.
  if (out.size() > 100) {
    std::size_t cut = 100;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
  }
  std::string_view trimmed = Trim(out);
  if (trimmed.empty() || trimmed == "." || trimmed == "..") {
    return type == "application/pdf" ? "document.pdf" : "photo." + std::string(type.substr(6));
  }
  return std::string(trimmed);
}

}  // namespace caredesk::core
