#include "support/elf_builder.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <whittle/trace/interpreter.hpp>
#include <whittle/util/fd.hpp>

using namespace whittle;

namespace {

std::optional<std::string>
interpreter_of_file(const std::string& path, const std::string& content)
{
  test::write_file(path, content);
  util::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd);
  return trace::interpreter_of(fd.get());
}

} // namespace

TEST_CASE("trace::interpreter_of names what execve opens on its own", "[trace]")
{
  test::TestDir t;
  SECTION("scripts: the \"#!\" interpreter, without its argument")
  {
    CHECK(interpreter_of_file(t / "s", "#!/usr/bin/env python3\n") == "/usr/bin/env");
    CHECK(interpreter_of_file(t / "s", "#! /bin/sh -e\necho\n") == "/bin/sh");
    CHECK(interpreter_of_file(t / "s", "#!/bin/sh\r\n") == "/bin/sh\r");
    CHECK_FALSE(interpreter_of_file(t / "s", "#!\n").has_value());
    CHECK_FALSE(interpreter_of_file(t / "s", "#!" + std::string(300, 'n') + "\n").has_value());
  }
  SECTION("ELF programs: PT_INTERP in both classes and byte orders")
  {
    for (bool wide : {true, false}) {
      for (bool big : {false, true}) {
        test::ElfSpec spec;
        spec.wide = wide;
        spec.big_endian = big;
        spec.interpreter = wide ? "/lib64/ld-linux-x86-64.so.2" : "/lib/ld-linux.so.2";
        CHECK(interpreter_of_file(t / "p", test::build_elf(spec).bytes) == spec.interpreter);
      }
    }
    test::ElfSpec static_spec;
    static_spec.dynamic = false;
    CHECK_FALSE(interpreter_of_file(t / "p", test::build_elf(static_spec).bytes).has_value());
  }
  SECTION("headers execve would refuse give nothing, and nothing throws")
  {
    test::ElfSpec spec;
    spec.interpreter = "/lib/ld.so";
    std::string b = test::build_elf(spec).bytes;
    std::string odd_entry = b;
    odd_entry[54] = 64; // e_phentsize
    CHECK_FALSE(interpreter_of_file(t / "p", odd_entry).has_value());
    CHECK_FALSE(interpreter_of_file(t / "p", b.substr(0, 64 + 2 * 56 + 4)).has_value());
    CHECK_FALSE(interpreter_of_file(t / "p", "\x7f"
                                             "ELF")
                    .has_value());
  }
  SECTION("anything else")
  {
    CHECK_FALSE(interpreter_of_file(t / "x", "").has_value());
    CHECK_FALSE(interpreter_of_file(t / "x", "plain text\n").has_value());
    CHECK_FALSE(trace::interpreter_of(-1).has_value());
    util::Fd dir(::open(t.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    CHECK_FALSE(trace::interpreter_of(dir.get()).has_value());
  }
}
