#pragma once
// Ownership shifted at extraction: the sandbox runs the app in a user namespace whose ids 0..count-1 are
// ids base..base+count-1 of the namespace whittle runs in, so a file the image gives to uid X is owned by
// base+X on disk and by X inside the sandbox. rootfs/ (which writes the files) and trace/ (which writes the
// namespace's id maps) both use it, so it lives here.
#include <cstdint>
#include <string>

namespace whittle::util {

struct IdShift
{
  uint32_t base = 0;
  uint32_t count = 0; // 0: no shift, ids are written as the image gives them

  bool active() const { return count != 0; }
  // The id inside the sandbox that stands for every id the range cannot hold: nobody (65534), or the
  // last id of a smaller range (0 in a single-id range).
  uint32_t overflow_id() const { return count > 65534 ? 65534 : (count == 0 ? 0 : count - 1); }
  bool holds(uint32_t id) const { return id < count; }
  // The id on disk (in whittle's namespace) of image id `id`; ids the range does not hold become
  // base + overflow_id(). Without a shift, id itself.
  uint32_t to_outer(uint32_t id) const
  {
    if (!active()) {
      return id;
    }
    return base + (holds(id) ? id : overflow_id());
  }
  bool operator==(const IdShift&) const = default;
};

// Interface.

// "base:count" (for --debug and errors).
std::string describe(const IdShift& shift);

// Changes the owner of dir and everything below it from X to shift.to_outer(X) (lchown: links are never
// followed, nothing outside dir is touched). Returns the number of entries whose id the range could not
// hold (they became the overflow id). Throws Error naming the path on failure.
uint64_t shift_owners(const std::string& dir, const IdShift& shift);

} // namespace whittle::util
