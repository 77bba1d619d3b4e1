/* The attacker (attacker.c, attack_host.c, attack_run.c): shared result printing and the attacks. */
#pragma once
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif

/* Result lines (see attacker.c). */
const char* ename(int e);
void blocked(const char* name, int e);
void blocked_because(const char* name, const char* why);
void succeeded(const char* name, const char* what);
void escape(const unsigned char* in, size_t n, char* out, size_t cap);
void hex(const unsigned char* in, size_t n, char* out);
void sleep_ms(long ms);
/* The attacks, one per subcommand: attack_host.c and attack_run.c. */
int attack_fds(void);
int attack_stdio(void);
int attack_tiocsti(void);
int attack_blockdev(const char* shipped, unsigned maj, unsigned min);
int attack_knobs(void);
int attack_masks(int argc, char** argv);
int attack_keyring(const char* serial);
int attack_write(int argc, char** argv);
int touch_in(int argc, char** argv);
int attack_identity(const char* hold_ms);
int attack_fill(const char* mode, const char* path, const char* mib_text);
int attack_memory(const char* mib_text);
int attack_forkbomb(const char* n_text);
int attack_stat_many(const char* n_text);
int attack_http_serve(const char* port_text, const char* mib_text);
int attack_io_uring(void);
int attack_empty_path(const char* statx_path, const char* open_tree_path);
int attack_seccomp_listener(void);
int attack_clone_untraced(const char* path);
int attack_open_raw(const char* escaped);
int attack_refused(void);
int attack_daemon(const char* seconds);
