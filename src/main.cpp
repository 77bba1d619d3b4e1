#include <whittle/cli/command.hpp>

int
main(int argc, char** argv)
{
  return whittle::cli::run(argc, argv);
}
