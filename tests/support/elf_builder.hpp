#pragma once
// Builds small ELF files in memory for the ELF reader's and slim's tests: one PT_LOAD over the whole file,
// optional PT_INTERP and PT_DYNAMIC with DT_NEEDED / DT_RPATH / DT_RUNPATH / DT_SONAME, in either class and
// byte order. Tests then damage the bytes to check the reader's bounds.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace whittle::test {

struct ElfSpec
{
  bool wide = true; // ELF64
  bool big_endian = false;
  uint16_t machine = 62; // EM_X86_64
  uint16_t type = 3;     // ET_DYN
  std::string interpreter;
  std::vector<std::string> needed;
  std::optional<std::string> rpath;
  std::optional<std::string> runpath;
  std::string soname;
  bool dynamic = true;
};

struct BuiltElf
{
  std::string bytes;
  size_t phoff = 0;
  size_t dynamic_offset = 0;
  size_t strtab_offset = 0;
};

inline BuiltElf
build_elf(const ElfSpec& s)
{
  size_t w = s.wide ? 8 : 4;
  size_t ehsize = s.wide ? 64 : 52;
  size_t phentsize = s.wide ? 56 : 32;
  size_t nph = 1 + (s.interpreter.empty() ? 0 : 1) + (s.dynamic ? 1 : 0);
  std::string out(ehsize + nph * phentsize, '\0');
  auto put = [&](size_t off, uint64_t v, size_t width) {
    if (out.size() < off + width) {
      out.resize(off + width, '\0');
    }
    for (size_t i = 0; i < width; ++i) {
      size_t idx = s.big_endian ? off + width - 1 - i : off + i;
      out[idx] = static_cast<char>((v >> (8 * i)) & 0xff);
    }
  };
  auto align = [&](size_t a) {
    while (out.size() % a) {
      out.push_back('\0');
    }
  };
  const uint64_t base = 0x400000;
  size_t interp_off = out.size();
  out += s.interpreter;
  if (!s.interpreter.empty()) {
    out.push_back('\0');
  }
  align(8);
  size_t strtab_off = out.size();
  std::string strtab(1, '\0');
  auto add_str = [&](const std::string& str) {
    size_t o = strtab.size();
    strtab += str;
    strtab.push_back('\0');
    return o;
  };
  std::vector<std::pair<int64_t, uint64_t>> dyn;
  for (const auto& n : s.needed) {
    dyn.emplace_back(1, add_str(n));
  }
  if (s.rpath) {
    dyn.emplace_back(15, add_str(*s.rpath));
  }
  if (s.runpath) {
    dyn.emplace_back(29, add_str(*s.runpath));
  }
  if (!s.soname.empty()) {
    dyn.emplace_back(14, add_str(s.soname));
  }
  dyn.emplace_back(5, base + strtab_off);
  dyn.emplace_back(10, strtab.size());
  dyn.emplace_back(0, 0);
  out += strtab;
  align(8);
  size_t dyn_off = out.size();
  for (size_t i = 0; i < dyn.size(); ++i) {
    put(dyn_off + i * 2 * w, static_cast<uint64_t>(dyn[i].first), w);
    put(dyn_off + i * 2 * w + w, dyn[i].second, w);
  }
  size_t total = out.size();

  out[0] = 0x7f;
  out[1] = 'E';
  out[2] = 'L';
  out[3] = 'F';
  out[4] = s.wide ? 2 : 1;
  out[5] = s.big_endian ? 2 : 1;
  out[6] = 1;
  put(16, s.type, 2);
  put(18, s.machine, 2);
  put(20, 1, 4);
  if (s.wide) {
    put(32, ehsize, 8);
    put(52, ehsize, 2);
    put(54, phentsize, 2);
    put(56, nph, 2);
  } else {
    put(28, ehsize, 4);
    put(40, ehsize, 2);
    put(42, phentsize, 2);
    put(44, nph, 2);
  }
  auto phdr = [&](size_t i, uint32_t type, uint64_t off, uint64_t size) {
    size_t p = ehsize + i * phentsize;
    put(p, type, 4);
    if (s.wide) {
      put(p + 8, off, 8);
      put(p + 16, base + off, 8);
      put(p + 24, base + off, 8);
      put(p + 32, size, 8);
      put(p + 40, size, 8);
    } else {
      put(p + 4, off, 4);
      put(p + 8, base + off, 4);
      put(p + 12, base + off, 4);
      put(p + 16, size, 4);
      put(p + 20, size, 4);
    }
  };
  size_t i = 0;
  phdr(i++, 1, 0, total);
  if (!s.interpreter.empty()) {
    phdr(i++, 3, interp_off, s.interpreter.size() + 1);
  }
  if (s.dynamic) {
    phdr(i++, 2, dyn_off, dyn.size() * 2 * w);
  }
  return {out, ehsize, dyn_off, strtab_off};
}

} // namespace whittle::test
