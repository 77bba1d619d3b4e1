#include <linux/capability.h>
// Needs-root decisions from syscall arguments, with fake tracee memory (no sandbox needed).
#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/syscall.h>
#include <whittle/trace/privilege.hpp>

using namespace whittle;

namespace {

// Tracee memory: one buffer at address 0x1000.
struct FakeMemory
{
  std::vector<char> bytes;
  trace::TraceeAccess access()
  {
    trace::TraceeAccess a;
    a.read = [this](uint64_t addr, void* buf, size_t len) {
      if (addr != 0x1000 || len > bytes.size()) {
        return false;
      }
      std::memcpy(buf, bytes.data(), len);
      return true;
    };
    a.path = [](int dirfd, uint64_t addr) {
      return addr == 0 ? "/fd/" + std::to_string(dirfd) : std::string("/var/x");
    };
    return a;
  }
};

std::optional<std::string>
reason(int nr, std::vector<uint64_t> args, const trace::CallerIds& ids, FakeMemory mem = {})
{
  args.resize(6, 0);
  const trace::SyscallInfo* s = trace::find_syscall(nr);
  REQUIRE(s != nullptr);
  return trace::needs_root_reason(*s, args.data(), ids, mem.access());
}

trace::CallerIds
ids_of(uint32_t uid, uint32_t gid, std::vector<uint32_t> groups = {})
{
  trace::CallerIds ids;
  ids.euid = ids.fsuid = uid;
  ids.egid = ids.fsgid = gid;
  ids.groups = std::move(groups);
  return ids;
}

} // namespace

TEST_CASE("trace::needs_root_reason: set*id and setgroups only from root, only to other ids", "[trace]")
{
  const uint64_t unchanged = 0xffffffffu;
  auto root = ids_of(0, 0, {0});
  CHECK(reason(SYS_setuid, {33}, root) == std::string("setuid 33"));
  CHECK(reason(SYS_setuid, {0}, root) == std::nullopt);
  CHECK(reason(SYS_setresuid, {unchanged, 0, 1000}, root) == std::string("setresuid 1000"));
  CHECK(reason(SYS_setreuid, {unchanged, unchanged}, root) == std::nullopt);
  CHECK(reason(SYS_setgid, {33}, root) == std::string("setgid 33"));
  CHECK(reason(SYS_setregid, {0, 0}, root) == std::nullopt);
  CHECK(reason(SYS_setresgid, {7, 7, 7}, root) == std::string("setresgid 7"));
  // Not root: only its own ids are allowed, so nothing needs root.
  CHECK(reason(SYS_setuid, {33}, ids_of(1000, 1000)) == std::nullopt);
  // ... unless it kept the capability across its own uid switch (setpriv: uid first, then the groups).
  auto kept = ids_of(100, 0);
  kept.cap_eff = uint64_t{1} << CAP_SETGID;
  CHECK(reason(SYS_setresgid, {101, 101, 101}, kept) == std::string("setresgid 101"));
  CHECK(reason(SYS_setuid, {33}, kept) == std::nullopt); // CAP_SETGID is not CAP_SETUID

  FakeMemory groups;
  uint32_t list[] = {33, 44};
  groups.bytes.assign(reinterpret_cast<char*>(list), reinterpret_cast<char*>(list) + sizeof list);
  CHECK(reason(SYS_setgroups, {2, 0x1000}, root, groups) == std::string("setgroups 33,44"));
  CHECK(reason(SYS_setgroups, {2, 0x1000}, ids_of(0, 0, {44, 33}), groups) == std::nullopt);
  CHECK(reason(SYS_setgroups, {0, 0}, root) == std::string("setgroups (none)"));
  CHECK(reason(SYS_setgroups, {0, 0}, ids_of(0, 0)) == std::nullopt);
  CHECK(reason(SYS_setgroups, {2, 0x2000}, root, groups) == std::nullopt); // unreadable
}

TEST_CASE("trace::needs_root_reason: chown to another owner or a foreign group", "[trace]")
{
  const uint64_t unchanged = 0xffffffffu;
  auto root = ids_of(0, 0, {0});
  CHECK(reason(SYS_chown, {0x1000, 33, 33}, root) == std::string("chown /var/x to 33:33"));
  CHECK(reason(SYS_lchown, {0x1000, 0, 0}, root) == std::nullopt);
  CHECK(reason(SYS_fchown, {5, 33, unchanged}, root) == std::string("chown /fd/5 to 33"));
  CHECK(reason(SYS_fchownat, {static_cast<uint64_t>(AT_FDCWD), 0x1000, unchanged, 50, 0}, root) ==
        std::string("chown /var/x to :50"));
  // A user giving its file to one of its own groups needs nothing.
  auto user = ids_of(1000, 1000, {1000, 50});
  CHECK(reason(SYS_fchownat, {3, 0x1000, 1000, 50, 0}, user) == std::nullopt);
  CHECK(reason(SYS_chown, {0x1000, unchanged, unchanged}, root) == std::nullopt);
}

TEST_CASE("trace::needs_root_reason: bind below 1024 over IPv4 and IPv6", "[trace]")
{
  auto root = ids_of(0, 0);
  auto bind_to = [&](int family, uint16_t port) {
    FakeMemory mem;
    size_t len = 0;
    if (family == AF_INET) {
      sockaddr_in a = {};
      a.sin_family = AF_INET;
      a.sin_port = htons(port);
      len = sizeof a;
      mem.bytes.assign(reinterpret_cast<char*>(&a), reinterpret_cast<char*>(&a) + len);
    } else {
      sockaddr_in6 a = {};
      a.sin6_family = static_cast<sa_family_t>(family);
      a.sin6_port = htons(port);
      len = sizeof a;
      mem.bytes.assign(reinterpret_cast<char*>(&a), reinterpret_cast<char*>(&a) + len);
    }
    return reason(SYS_bind, {3, 0x1000, len}, root, mem);
  };
  CHECK(bind_to(AF_INET, 80) == std::string("bind port 80"));
  CHECK(bind_to(AF_INET6, 1023) == std::string("bind port 1023"));
  CHECK(bind_to(AF_INET, 1024) == std::nullopt);
  CHECK(bind_to(AF_INET, 0) == std::nullopt); // any free port
  CHECK(bind_to(AF_UNIX, 80) == std::nullopt);
}

TEST_CASE("trace::parse_caller_ids reads /proc/PID/status", "[trace]")
{
  auto ids = trace::parse_caller_ids("Name:\tx\nUid:\t1000\t0\t0\t2\nGid:\t5\t6\t7\t8\nGroups:\t5 9 \n");
  REQUIRE(ids);
  CHECK(ids->euid == 0);
  CHECK(ids->fsuid == 2);
  CHECK(ids->egid == 6);
  CHECK(ids->fsgid == 8);
  CHECK(ids->groups == std::vector<uint32_t>{5, 9});
  CHECK(ids->cap_eff == 0);
  auto capped = trace::parse_caller_ids("Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nCapEff:\t00000000a80425fb\n");
  REQUIRE(capped);
  CHECK(capped->cap_eff == 0xa80425fbu);
  CHECK_FALSE(trace::parse_caller_ids("Name:\tx\n"));
  CHECK(trace::read_caller_ids(getpid()).has_value());
}

TEST_CASE("trace::switched_user and capability_of", "[trace][constraints]")
{
  const uint64_t unchanged = 0xffffffffu;
  auto sw = [](int nr, std::vector<uint64_t> args, const trace::CallerIds& ids) {
    args.resize(6, 0);
    return trace::switched_user(*trace::find_syscall(nr), args.data(), ids);
  };
  // The effective uid set, with the gid the caller already switched to.
  CHECK(sw(SYS_setuid, {33}, ids_of(0, 33)) == std::string("33:33"));
  CHECK(sw(SYS_setresuid, {101, 101, 101}, ids_of(0, 102)) == std::string("101:102"));
  CHECK(sw(SYS_setreuid, {unchanged, 7}, ids_of(0, 0)) == std::string("7:0"));
  CHECK(sw(SYS_setreuid, {8, unchanged}, ids_of(0, 0)) == std::string("8:0"));
  CHECK(sw(SYS_setuid, {0}, ids_of(0, 0)) == std::nullopt);        // to root: no switch
  CHECK(sw(SYS_setuid, {33}, ids_of(1000, 1000)) == std::nullopt); // not from root
  CHECK(sw(SYS_setgid, {33}, ids_of(0, 0)) == std::nullopt);       // a gid alone is no identity
  // The group a switch completes later (setpriv): from root, or from a caller that kept CAP_SETGID.
  auto grp = [](int nr, std::vector<uint64_t> args, const trace::CallerIds& ids) {
    args.resize(6, 0);
    return trace::switched_group(*trace::find_syscall(nr), args.data(), ids);
  };
  auto kept = ids_of(100, 0);
  kept.cap_eff = uint64_t{1} << CAP_SETGID;
  CHECK(grp(SYS_setresgid, {101, 101, 101}, kept) == std::optional<uint32_t>(101));
  CHECK(grp(SYS_setgid, {33}, ids_of(0, 0)) == std::optional<uint32_t>(33));
  CHECK(grp(SYS_setresgid, {101, 101, 101}, ids_of(100, 0)) == std::nullopt); // no capability
  CHECK(grp(SYS_setgid, {0}, ids_of(0, 0)) == std::nullopt);                  // to root
  CHECK(grp(SYS_setuid, {33}, ids_of(0, 0)) == std::nullopt);                 // not a group call
  auto cap = [](int nr) {
    const char* c = trace::capability_of(*trace::find_syscall(nr));
    return c == nullptr ? std::string() : std::string(c);
  };
  CHECK(cap(SYS_chown) == "CHOWN");
  CHECK(cap(SYS_fchownat) == "CHOWN");
  CHECK(cap(SYS_setresuid) == "SETUID");
  CHECK(cap(SYS_setgroups) == "SETGID");
  CHECK(cap(SYS_setregid) == "SETGID");
  CHECK(cap(SYS_bind) == "NET_BIND_SERVICE");
  CHECK(cap(SYS_fchmodat) == "FOWNER");
  CHECK(cap(SYS_fchmod) == "FOWNER");
  CHECK(cap(SYS_openat).empty());
}

TEST_CASE("trace::needs_root_reason: chmod of another user's file from root", "[trace][constraints]")
{
  FakeMemory mem;
  auto with_owner = [&mem](uint32_t owner) {
    trace::TraceeAccess a = mem.access();
    a.owner = [owner](int, uint64_t) { return std::optional<uint32_t>(owner); };
    return a;
  };
  auto chmod_reason = [&](int nr, std::vector<uint64_t> args, const trace::CallerIds& ids, uint32_t owner) {
    args.resize(6, 0);
    return trace::needs_root_reason(*trace::find_syscall(nr), args.data(), ids, with_owner(owner));
  };
  CHECK(chmod_reason(SYS_chmod, {0x1000, 0700}, ids_of(0, 0), 999) ==
        std::string("chmod /var/x owned by 999"));
  CHECK(chmod_reason(SYS_fchmodat, {3, 0x1000, 0700}, ids_of(0, 0), 999) ==
        std::string("chmod /var/x owned by 999"));
  CHECK(chmod_reason(SYS_fchmod, {5, 0700}, ids_of(0, 0), 7) == std::string("chmod /fd/5 owned by 7"));
  CHECK(chmod_reason(SYS_chmod, {0x1000, 0700}, ids_of(0, 0), 0) == std::nullopt);       // its own
  CHECK(chmod_reason(SYS_chmod, {0x1000, 0700}, ids_of(1000, 1000), 0) == std::nullopt); // not root
}
