#include "elf_builder.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <unistd.h>
#include <whittle/slim/elf.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/fd.hpp>

using namespace whittle;
using namespace whittle::slim;

namespace {

std::optional<ElfInfo>
parse_host(const std::string& path)
{
  util::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd);
  FdElfInput in(fd.get());
  return read_elf(in, path);
}

} // namespace

TEST_CASE("slim::read_elf parses real host binaries", "[slim]")
{
  auto ls = parse_host("/bin/ls");
  REQUIRE(ls);
  CHECK(ls->dynamic);
  CHECK(ls->interpreter.find("ld-linux") != std::string::npos);
  CHECK(std::find(ls->needed.begin(), ls->needed.end(), "libc.so.6") != ls->needed.end());
#if defined(__x86_64__)
  CHECK(ls->machine == 62);
  CHECK(ls->elf_class == ElfClass::elf64);
  auto libc = parse_host("/usr/lib/x86_64-linux-gnu/libc.so.6");
  REQUIRE(libc);
  CHECK(libc->soname == "libc.so.6");
  CHECK(libc->type == 3);
  CHECK(libc->compatible(*ls));
#endif
  util::Fd fd(::open("/etc/passwd", O_RDONLY | O_CLOEXEC));
  FdElfInput text(fd.get());
  CHECK_FALSE(read_elf(text, "/etc/passwd").has_value());
}

TEST_CASE("slim::read_elf reads every field in all classes and byte orders", "[slim]")
{
  for (bool wide : {true, false}) {
    for (bool big : {false, true}) {
      DYNAMIC_SECTION("wide=" << wide << " big=" << big)
      {
        test::ElfSpec spec;
        spec.wide = wide;
        spec.big_endian = big;
        spec.machine = wide ? 183 : 40;
        spec.interpreter = "/lib/ld-test.so.1";
        spec.needed = {"libfoo.so.1", "libbar.so"};
        spec.rpath = "/opt/r";
        spec.runpath = "$ORIGIN/../lib:/opt/x";
        spec.soname = "libme.so.2";
        auto info = read_elf(BytesElfInput(test::build_elf(spec).bytes), "crafted");
        REQUIRE(info);
        CHECK(info->elf_class == (wide ? ElfClass::elf64 : ElfClass::elf32));
        CHECK(info->big_endian == big);
        CHECK(info->machine == spec.machine);
        CHECK(info->type == 3);
        CHECK(info->interpreter == "/lib/ld-test.so.1");
        CHECK(info->needed == std::vector<std::string>{"libfoo.so.1", "libbar.so"});
        CHECK(info->rpath.value() == "/opt/r");
        CHECK(info->runpath.value() == "$ORIGIN/../lib:/opt/x");
        CHECK(info->soname == "libme.so.2");
      }
    }
  }
}

TEST_CASE("slim::read_elf: a static binary has no interpreter and no dynamic section", "[slim]")
{
  test::ElfSpec spec;
  spec.dynamic = false;
  spec.type = 2;
  auto info = read_elf(BytesElfInput(test::build_elf(spec).bytes), "static");
  REQUIRE(info);
  CHECK_FALSE(info->dynamic);
  CHECK(info->interpreter.empty());
  CHECK(info->needed.empty());
}

TEST_CASE("slim::read_elf refuses truncated files at every length", "[slim]")
{
  test::ElfSpec spec;
  spec.interpreter = "/lib64/ld-linux-x86-64.so.2";
  spec.needed = {"libc.so.6"};
  std::string full = test::build_elf(spec).bytes;
  int refused = 0;
  for (size_t n = 0; n < full.size(); ++n) {
    BytesElfInput in(full.substr(0, n));
    try {
      auto info = read_elf(in, "truncated");
      if (n < 4) {
        CHECK_FALSE(info.has_value());
      } else {
        // No prefix holds the whole dynamic section, so a parse that succeeds is a bug.
        FAIL("prefix of " << n << " bytes parsed");
      }
    } catch (const BadInput& e) {
      ++refused;
      CHECK(std::string(e.what()).find("`truncated`") != std::string::npos);
    }
  }
  CHECK(refused == static_cast<int>(full.size()) - 4);
}

TEST_CASE("slim::read_elf refuses hostile headers", "[slim]")
{
  test::ElfSpec spec;
  spec.interpreter = "/lib/ld.so";
  spec.needed = {"libc.so.6"};
  test::BuiltElf built = test::build_elf(spec);
  auto put64 = [](std::string& b, size_t off, uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      b[off + static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
    }
  };
  auto put16 = [](std::string& b, size_t off, uint16_t v) {
    b[off] = static_cast<char>(v & 0xff);
    b[off + 1] = static_cast<char>(v >> 8);
  };
  auto refused = [](const std::string& bytes) {
    try {
      read_elf(BytesElfInput(bytes), "hostile");
    } catch (const BadInput&) {
      return true;
    }
    return false;
  };

  SECTION("program header table offset past the end")
  {
    std::string b = built.bytes;
    put64(b, 32, UINT64_MAX - 8);
    CHECK(refused(b));
  }
  SECTION("huge program header count")
  {
    std::string b = built.bytes;
    put16(b, 56, 0xffff);
    CHECK(refused(b));
  }
  SECTION("program header entry size too small")
  {
    std::string b = built.bytes;
    put16(b, 54, 8);
    CHECK(refused(b));
  }
  SECTION("PT_INTERP size enormous")
  {
    std::string b = built.bytes;
    put64(b, built.phoff + 56 + 32, UINT64_MAX);
    CHECK(refused(b));
  }
  SECTION("PT_DYNAMIC offset wraps around")
  {
    std::string b = built.bytes;
    put64(b, built.phoff + 2 * 56 + 8, UINT64_MAX - 4);
    CHECK(refused(b));
  }
  SECTION("DT_NEEDED string offset outside the string table")
  {
    std::string b = built.bytes;
    put64(b, built.dynamic_offset + 8, 1u << 30);
    CHECK(refused(b));
  }
  SECTION("DT_STRTAB address outside every segment")
  {
    std::string b = built.bytes;
    // entries: NEEDED, STRTAB, STRSZ, NULL
    put64(b, built.dynamic_offset + 16 + 8, 0xdead0000);
    CHECK(refused(b));
  }
  SECTION("string table without a terminating NUL")
  {
    std::string b = built.bytes;
    // Overwrite everything from the string table to the end of the file with non-NUL bytes, then shrink
    // DT_STRSZ to cover it: the NEEDED string never ends.
    for (size_t i = built.strtab_offset + 1; i < built.dynamic_offset; ++i) {
      b[i] = 'x';
    }
    put64(b, built.dynamic_offset + 2 * 16 + 8, built.dynamic_offset - built.strtab_offset);
    CHECK(refused(b));
  }
  SECTION("unknown class")
  {
    std::string b = built.bytes;
    b[4] = 7;
    CHECK(refused(b));
  }
}

TEST_CASE("slim::parse_shebang splits like the kernel", "[slim]")
{
  auto s = parse_shebang("#!/usr/bin/env python3\nprint()\n");
  REQUIRE(s);
  CHECK(s->interpreter == "/usr/bin/env");
  CHECK(s->argument == "python3");
  s = parse_shebang("#! /bin/sh\r\n");
  REQUIRE(s);
  CHECK(s->interpreter == "/bin/sh");
  CHECK(s->argument.empty());
  s = parse_shebang("#!/usr/bin/env -S python3 -u\n");
  REQUIRE(s);
  CHECK(s->argument == "-S python3 -u");
  CHECK_FALSE(parse_shebang("#!\n").has_value());
  CHECK_FALSE(parse_shebang("\x7f"
                            "ELF")
                  .has_value());
}
