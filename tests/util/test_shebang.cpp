#include <catch2/catch.hpp>
#include <whittle/util/shebang.hpp>

using namespace whittle;
using namespace std::string_literals;

namespace {

struct Case
{
  std::string head;
  std::string interpreter; // "" = no interpreter (nullopt)
  std::string argument;
};

} // namespace

TEST_CASE("util::parse_shebang splits like the kernel", "[util]")
{
  std::string name200(200, 'n');
  std::string name253(253, 'n');
  const Case cases[] = {
      {"#!/usr/bin/env python3\nprint()\n", "/usr/bin/env", "python3"},
      {"#!/usr/bin/env -S python3 -u\n", "/usr/bin/env", "-S python3 -u"},
      {"#!/usr/bin/awk -f  x\n", "/usr/bin/awk", "-f  x"},
      {"#! \t/bin/bash \t \nexit\n", "/bin/bash", ""},
      {"#!/bin/sh  -e  \t\n", "/bin/sh", "-e"},
      {"#!/bin/sh", "/bin/sh", ""},
      {"#!/bin/sh -e", "/bin/sh", "-e"},
      // A carriage return is no blank for the kernel: "bad interpreter: /bin/sh^M".
      {"#!/bin/sh\r\n", "/bin/sh\r", ""},
      {"#!/bin/sh -e\r\n", "/bin/sh", "-e\r"},
      // NUL ends the interpreter and the argument (the kernel passes C strings on).
      {"#!/bin/sh\0junk\n"s, "/bin/sh", ""},
      {"#!/bin/sh -x\0y z\n"s, "/bin/sh", "-x"},
      {"#!\0/bin/sh\n"s, "", ""},
      {"#!\n", "", ""},
      {"#!  \t \n/bin/sh\n", "", ""},
      {"#!", "", ""},
      {"#", "", ""},
      {"", "", ""},
      {"\x7f"
       "ELF",
       "", ""},
      {" #!/bin/sh\n", "", ""},
      // The kernel reads 256 bytes: a name that fills them is cut, so refused...
      {"#!" + std::string(254, 'n') + "\n", "", ""},
      {"#!" + std::string(300, 'n'), "", ""},
      {"#!" + std::string(254, ' ') + "/bin/sh\n", "", ""},
      // ...one that ends inside them is kept, and only the argument is cut (to byte 255).
      {"#!" + name253 + "\n", name253, ""},
      {"#!" + name253 + " arg\n", name253, ""},
      {"#!" + name200 + " " + std::string(300, 'a') + "\n", name200, std::string(255 - 203, 'a')},
  };
  for (const auto& c : cases) {
    INFO("head: " << c.head.substr(0, 40) << " (" << c.head.size() << " bytes)");
    auto s = util::parse_shebang(c.head);
    if (c.interpreter.empty()) {
      CHECK_FALSE(s.has_value());
      continue;
    }
    REQUIRE(s);
    CHECK(s->interpreter == c.interpreter);
    CHECK(s->argument == c.argument);
  }
}

TEST_CASE("util::parse_shebang reads no further than the kernel's 256 bytes", "[util]")
{
  // A newline past byte 256 does not count: the line ends at byte 255.
  std::string head = "#!/bin/sh " + std::string(300, 'x') + "\nmore";
  auto s = util::parse_shebang(head);
  REQUIRE(s);
  CHECK(s->interpreter == "/bin/sh");
  CHECK(s->argument == std::string(util::k_shebang_max - 1 - 10, 'x'));
  CHECK(util::parse_shebang(head.substr(0, util::k_shebang_max))->argument == s->argument);
}
