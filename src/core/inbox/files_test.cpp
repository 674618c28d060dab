#include "core/inbox/files.hpp"

#include <gtest/gtest.h>

namespace caredesk::core {
namespace {

TEST(PatientFilesTest, PhotosAndPdfsAreKnownByTheirBytes) {
  using namespace std::string_literals;
  EXPECT_EQ(SniffPatientFile("\xFF\xD8\xFF\xE0\x00\x10JFIF"), "image/jpeg");
  EXPECT_EQ(SniffPatientFile("\x89PNG\r\n\x1A\n\x00\x00"s), "image/png");
  EXPECT_EQ(SniffPatientFile("GIF89a..."), "image/gif");
  EXPECT_EQ(SniffPatientFile("RIFF\x10\x00\x00\x00WEBPVP8 "s), "image/webp");
  EXPECT_EQ(SniffPatientFile("\x00\x00\x00\x18"
                             "ftypheic\x00\x00"s),
            "image/heic");
  EXPECT_EQ(SniffPatientFile("%PDF-1.7\n"), "application/pdf");
  // Whatever the name or the claimed type: scripts, pages, archives and nothing are refused.
  for (std::string_view other : {"<html><script>", "#!/bin/sh", "PK\x03\x04", "", "\xFF\xD8",
                                 "RIFF\x10\x00\x00\x00WAVE", "%PDF"}) {
    EXPECT_FALSE(SniffPatientFile(other)) << other;
  }
}

TEST(PatientFilesTest, FileNamesAreSafeToShowAndOffer) {
  EXPECT_EQ(SafeFileName("rash.jpg", "image/jpeg"), "rash.jpg");
  EXPECT_EQ(SafeFileName("C:\\Users\\me\\Referral letter.pdf", "application/pdf"),
            "Referral letter.pdf");
  EXPECT_EQ(SafeFileName("../../etc/passwd", "application/pdf"), "passwd");
  EXPECT_EQ(SafeFileName("a\"b;c'\r\nd.png", "image/png"), "abcd.png");
  EXPECT_EQ(SafeFileName("", "image/jpeg"), "photo.jpeg");
  EXPECT_EQ(SafeFileName("..", "application/pdf"), "document.pdf");
  EXPECT_EQ(SafeFileName("bad\xff.pdf", "application/pdf"), "document.pdf");
  std::string long_name;
  for (int i = 0; i < 60; ++i) long_name += "é";  // 120 bytes
  std::string cut = SafeFileName(long_name, "image/png");
  EXPECT_LE(cut.size(), 100u);
  EXPECT_EQ(cut.size() % 2, 0u) << "no character split";
}

}  // namespace
}  // namespace caredesk::core
