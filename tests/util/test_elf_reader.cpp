#include "support/elf_builder.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <unistd.h>
#include <whittle/util/elf_reader.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/fd.hpp>

using namespace whittle;
using namespace whittle::util;

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

TEST_CASE("util::read_elf parses real host binaries", "[util]")
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

TEST_CASE("util::read_elf reads every field in all classes and byte orders", "[util]")
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
        CHECK(elf_interpreter(BytesElfInput(test::build_elf(spec).bytes)) == "/lib/ld-test.so.1");
      }
    }
  }
}

TEST_CASE("util::read_elf: a static binary has no interpreter and no dynamic section", "[util]")
{
  test::ElfSpec spec;
  spec.dynamic = false;
  spec.type = 2;
  auto info = read_elf(BytesElfInput(test::build_elf(spec).bytes), "static");
  REQUIRE(info);
  CHECK_FALSE(info->dynamic);
  CHECK(info->interpreter.empty());
  CHECK(info->needed.empty());
  CHECK_FALSE(elf_interpreter(BytesElfInput(test::build_elf(spec).bytes)).has_value());
}

TEST_CASE("util::read_elf refuses truncated files at every length", "[util]")
{
  test::ElfSpec spec;
  spec.interpreter = "/lib64/ld-linux-x86-64.so.2";
  spec.needed = {"libc.so.6"};
  std::string full = test::build_elf(spec).bytes;
  size_t interp_end = 64 + 3 * 56 + spec.interpreter.size() + 1; // header, 3 program headers, PT_INTERP
  int refused = 0;
  for (size_t n = 0; n < full.size(); ++n) {
    BytesElfInput in(full.substr(0, n));
    auto interp = elf_interpreter(in);
    CHECK(interp.has_value() == (n >= interp_end));
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

TEST_CASE("util::read_elf refuses hostile headers", "[util]")
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
  SECTION("program header entry size larger than the class's (execve and ld.so refuse it)")
  {
    std::string b = built.bytes;
    put16(b, 54, 64);
    CHECK(refused(b));
    CHECK_FALSE(elf_interpreter(BytesElfInput(b)).has_value());
  }
  SECTION("program header table running past the end")
  {
    std::string b = built.bytes;
    put64(b, 32, b.size() - 2 * 56);
    CHECK(refused(b));
    CHECK_FALSE(elf_interpreter(BytesElfInput(b)).has_value());
  }
  SECTION("PT_INTERP without a NUL as its last byte")
  {
    std::string b = built.bytes;
    size_t interp = built.phoff + 3 * 56;
    REQUIRE(b.compare(interp, 11, std::string("/lib/ld.so\0", 11)) == 0);
    b[interp + 10] = 'x';
    CHECK(refused(b));
    CHECK_FALSE(elf_interpreter(BytesElfInput(b)).has_value());
  }
  SECTION("PT_INTERP with a NUL inside: the path ends there, as for the kernel")
  {
    std::string b = built.bytes;
    b[built.phoff + 3 * 56 + 4] = '\0';
    CHECK(read_elf(BytesElfInput(b), "inner NUL")->interpreter == "/lib");
    CHECK(elf_interpreter(BytesElfInput(b)) == "/lib");
  }
  SECTION("PT_INTERP of one byte or empty")
  {
    std::string b = built.bytes;
    put64(b, built.phoff + 56 + 32, 1);
    CHECK(refused(b));
    b = built.bytes;
    b[built.phoff + 3 * 56] = '\0';
    CHECK(refused(b));
    CHECK_FALSE(elf_interpreter(BytesElfInput(b)).has_value());
  }
  SECTION("a broken dynamic section does not hide the loader execve maps")
  {
    std::string b = built.bytes;
    put64(b, built.dynamic_offset + 16 + 8, 0xdead0000);
    CHECK(refused(b));
    CHECK(elf_interpreter(BytesElfInput(b)) == "/lib/ld.so");
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

TEST_CASE("util::read_elf caps the program header table at the kernel's 64 KiB", "[util]")
{
  // A 64-bit header followed by `n` PT_NULL program headers.
  auto with_phdrs = [](uint16_t n) {
    std::string b(64 + size_t(n) * 56, '\0');
    b.replace(0, 4,
              "\x7f"
              "ELF");
    b[4] = 2;
    b[5] = 1;
    b[32] = 64; // e_phoff
    b[54] = 56; // e_phentsize
    b[56] = static_cast<char>(n & 0xff);
    b[57] = static_cast<char>(n >> 8);
    return b;
  };
  auto fits = read_elf(BytesElfInput(with_phdrs(65536 / 56)), "1170 headers");
  REQUIRE(fits);
  CHECK(fits->interpreter.empty());
  CHECK_THROWS_WITH(read_elf(BytesElfInput(with_phdrs(65536 / 56 + 1)), "1171 headers"),
                    Catch::Contains("too many program headers (1171)"));
  CHECK_FALSE(elf_interpreter(BytesElfInput(with_phdrs(65536 / 56 + 1))).has_value());
}

TEST_CASE("util::read_elf caps dynamic strings", "[util]")
{
  SECTION("more DT_NEEDED entries than any real object")
  {
    test::ElfSpec spec;
    spec.needed.assign(1025, "libx.so");
    CHECK_THROWS_WITH(read_elf(BytesElfInput(test::build_elf(spec).bytes), "needy"),
                      Catch::Contains("too many DT_NEEDED entries"));
    spec.needed.resize(1024);
    CHECK(read_elf(BytesElfInput(test::build_elf(spec).bytes), "needy")->needed.size() == 1024);
  }
  SECTION("over 1 MiB of strings in all")
  {
    test::ElfSpec spec;
    for (int i = 0; i < 300; ++i) {
      spec.needed.push_back(std::to_string(i) + std::string(4000, 'l'));
    }
    CHECK_THROWS_WITH(read_elf(BytesElfInput(test::build_elf(spec).bytes), "wordy"),
                      Catch::Contains("dynamic strings too long"));
  }
  SECTION("one string longer than 4 KiB")
  {
    test::ElfSpec spec;
    spec.rpath = std::string(4096, 'r');
    CHECK_THROWS_WITH(read_elf(BytesElfInput(test::build_elf(spec).bytes), "long"),
                      Catch::Contains("is not NUL-terminated"));
    spec.rpath = std::string(4095, 'r');
    CHECK(read_elf(BytesElfInput(test::build_elf(spec).bytes), "long")->rpath->size() == 4095);
  }
}

TEST_CASE("util::FdElfInput reads regular files only", "[util]")
{
  test::TestDir t;
  test::ElfSpec spec;
  spec.interpreter = "/lib/ld.so";
  test::write_file(t / "prog", test::build_elf(spec).bytes);
  util::Fd prog(::open((t / "prog").c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(prog);
  FdElfInput in(prog.get());
  CHECK(in.size() == test::build_elf(spec).bytes.size());
  CHECK(elf_interpreter(in) == "/lib/ld.so");
  char c;
  CHECK_FALSE(in.read_at(in.size(), &c, 1));
  CHECK_FALSE(in.read_at(UINT64_MAX, &c, 1));

  util::Fd dir(::open(t.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(dir);
  CHECK(FdElfInput(dir.get()).size() == 0);
  CHECK_FALSE(read_elf(FdElfInput(dir.get()), "dir").has_value());
  CHECK(FdElfInput(-1).size() == 0);
}

TEST_CASE("util::is_elf_magic", "[util]")
{
  CHECK(is_elf_magic("\x7f"
                     "ELF\x02",
                     5));
  CHECK(is_elf_magic("\x7f"
                     "ELF",
                     4));
  CHECK_FALSE(is_elf_magic("\x7f"
                           "EL",
                           3));
  CHECK_FALSE(is_elf_magic("#!/bin/sh", 9));
}
