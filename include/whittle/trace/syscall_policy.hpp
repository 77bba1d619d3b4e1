#pragma once
// The baseline syscall policy of the traced app, as data: the calls a container runtime refuses an app
// that holds none of CAP_SYS_ADMIN, CAP_SYS_MODULE, CAP_SYS_BOOT, CAP_SYS_TIME, CAP_SYS_RAWIO, CAP_SYS_PTRACE
// (Docker's default seccomp profile, profiles/seccomp/default.json in moby, read as a list of what it does
// not allow), and the calls that would let the app act unseen by the tracer (io_uring, clone3,
// CLONE_UNTRACED, a seccomp listener of its own). The seccomp filter (seccomp_filter.hpp) is generated from
// this table; the tracer evaluates the same table (refusal_for) at the stop, counts the refusal in the
// profile and fails the call with the rule's errno.
//
// A rule's BPF form may be wider than the rule (BPF cannot test "arg0 > X and arg0 != Y" in one libseccomp
// rule): the BPF then stops the call, and refusal_for, which applies `except`, is what decides. Without a
// tracer (Filter::none) the BPF form is the whole policy, so such a call is refused a little more widely.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace whittle::trace {

// One comparison on a syscall argument. The kernel reads ints and unsigned ints from the low 32 bits, so
// rules on them mask with 0xffffffff: high garbage bits must not slip a call past a rule.
enum class ArgOp : uint8_t
{
  none,
  masked_eq, // (arg & mask) == value
  gt,        // arg > value (all 64 bits)
};

struct ArgTest
{
  int arg = -1;
  ArgOp op = ArgOp::none;
  uint64_t mask = 0;
  uint64_t value = 0;
};

struct Refusal
{
  const char* name = "";  // libseccomp's syscall name (resolved per architecture)
  const char* label = ""; // the key counted in the profile: the name, or name(FLAG) for a conditional rule
  int error = 0;          // errno the app sees: EPERM, or ENOSYS where the app must fall back
  ArgTest when[2];        // all must hold; none = unconditional
  // The call is allowed after all when args[except_arg] == except_value (tracer-side only, see above).
  int except_arg = -1;
  uint64_t except_value = 0;
};

// A rule of the table with its syscall number on the host architecture.
struct ResolvedRefusal
{
  int nr = -1;
  const Refusal* rule = nullptr;
};

// Interface.

// The policy table (architecture independent: rules name syscalls). Never fails.
const std::vector<Refusal>& refusal_table();

// The rules whose syscall exists on the host architecture, with their numbers (libseccomp's resolver);
// rules naming a call the architecture lacks (vm86 on x86_64) are left out. Never fails.
const std::vector<ResolvedRefusal>& host_refusals();

// The rule that refuses this call (syscall nr with args on the host architecture), or nullptr when the
// call is allowed. Exact: applies `except`.
const Refusal* refusal_for(int nr, const uint64_t args[6]);

// True when a rule refuses syscall nr whatever its arguments.
bool always_refused(int nr);

// The data tag of a SECCOMP_RET_TRACE that stops a call for the policy (the path rules use tag 0).
constexpr uint16_t k_policy_trace_tag = 0x4000;

} // namespace whittle::trace
