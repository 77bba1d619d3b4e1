/* The app of whittle's sample image (testdata/make-sample.sh): a small dynamically linked C program.
 * It reads its greeting from a data file and the OS name through the /etc/os-release symlink, so a correct
 * slim keeps the binary, its ELF closure (ld.so, libc), the data file, the symlink and its target. The
 * output depends only on the image's files and the arguments. */
#include <stdio.h>
#include <string.h>

static int
read_line(const char* path, const char* prefix, char* out, size_t size)
{
  FILE* f = fopen(path, "r");
  if (f == NULL) {
    fprintf(stderr, "hello: open %s: ", path);
    perror(NULL);
    return -1;
  }
  char line[512];
  int found = -1;
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, prefix, strlen(prefix)) == 0) {
      line[strcspn(line, "\n")] = '\0';
      snprintf(out, size, "%s", line + strlen(prefix));
      found = 0;
      break;
    }
  }
  fclose(f);
  return found;
}

int
main(int argc, char** argv)
{
  char greeting[256];
  char os[256];
  if (read_line("/app/share/greeting.txt", "", greeting, sizeof greeting) != 0) {
    return 1;
  }
  if (read_line("/etc/os-release", "PRETTY_NAME=", os, sizeof os) != 0) {
    return 1;
  }
  for (int i = 1; i < argc || i == 1; ++i) {
    printf("%s, %s!\n", greeting, i < argc ? argv[i] : "world");
  }
  printf("running on %s\n", os);
  return 0;
}
