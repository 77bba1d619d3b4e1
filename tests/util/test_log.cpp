#include <catch2/catch.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/log.hpp>

using whittle::util::terminal_safe;

TEST_CASE("util::terminal_safe escapes what a terminal would act on", "[util]")
{
  CHECK(terminal_safe("usr/lib/libc.so.6") == "usr/lib/libc.so.6");
  // An ANSI escape (clear screen, red) and a forged second line from an image's entry name.
  CHECK(terminal_safe("etc/\x1b[2J\x1b[31mred") == "etc/\\x1b[2J\\x1b[31mred");
  CHECK(terminal_safe("a\nwhittle: error: forged") == "a\\nwhittle: error: forged");
  CHECK(terminal_safe("tab\there\r\x7f") == "tab\\there\\x0d\\x7f");
  CHECK(terminal_safe(std::string("nul\0x", 5)) == "nul\\x00x");
  // U+009B (CSI) as UTF-8 is escaped; other multi-byte characters, and invalid bytes, pass unchanged.
  CHECK(terminal_safe("a\xc2\x9b"
                      "31m") == "a\\x9b31m");
  CHECK(terminal_safe("caf\xc3\xa9 \xc5\x9b") == "caf\xc3\xa9 \xc5\x9b");
  CHECK(terminal_safe("bad\xff\xfe") == "bad\xff\xfe");
  CHECK(terminal_safe("trailing\xc2") == "trailing\xc2");
  // Multi-line debug text keeps its line breaks but not its escapes.
  CHECK(terminal_safe("plan:\n  \x1b[0m", true) == "plan:\n  \\x1b[0m");
}

TEST_CASE("util::Error keeps a NUL from a name as text instead of ending the message", "[util]")
{
  whittle::BadInput e("parse profile `p.json`: file `/etc/a" + std::string(1, '\0') + "b`: not canonical");
  CHECK(std::string(e.what()) == "parse profile `p.json`: file `/etc/a\\x00b`: not canonical");
}
