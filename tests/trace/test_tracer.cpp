#include "trace_fixture.hpp"

#include <whittle/trace/profile.hpp>

#include <catch2/catch.hpp>
#include <iostream>

using namespace whittle;

TEST_CASE("trace: debug dump", "[ptrace][.dump]")
{
  test::TestDir dir;
  auto out = test::trace_tracee(dir, {"open", "/data/a.txt"});
  std::cout << trace::serialize_profile(out.profile);
  CHECK(out.stops > 0);
}
