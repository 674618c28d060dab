// What files a patient may send the practice (a photo of a rash, a referral letter): photos and
// PDFs, recognized by their first bytes rather than by the name or type the sender claims, and
// a file name safe to show and to offer as a download. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace caredesk::core {

// "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic" or "application/pdf"
// when `bytes` starts like one; nullopt for anything else (scripts, archives, HTML, empty).
std::optional<std::string_view> SniffPatientFile(std::string_view bytes);

// The sender's file name cut to its last path part, without control characters, quotes or
// slashes, at most 100 bytes of valid UTF-8; "photo.jpg"/"document.pdf" style when nothing
// usable is left. `type` is SniffPatientFile's answer.
std::string SafeFileName(std::string_view name, std::string_view type);

}  // namespace caredesk::core
