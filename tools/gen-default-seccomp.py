#!/usr/bin/env python3
"""Write profiles/seccomp/default.json, carrel's default seccomp profile.

Shape: syscalls a normal distro userland uses are allowed; a short list of
dangerous ones is refused with EPERM, each with the reason in "comment"
(the OCI decoder ignores unknown keys); everything else, including syscalls
newer than this list, gets ENOSYS so libc falls back to an older call.
Edit the lists here and re-run; the JSON is generated, not hand-edited.
"""
import json, sys

ALLOW = """
accept accept4 access adjtimex alarm arch_prctl bind brk cachestat capget capset chdir chmod chown
chown32 clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep
clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3 epoll_create
epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd
eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate
fchdir fchmod fchmodat fchmodat2 fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr
flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync
ftruncate ftruncate64 futex futex_time64 futex_waitv futimesat getcpu getcwd getdents getdents64
getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername
getpgid getpgrp getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32
getrlimit get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid
gettimeofday getuid getuid32 getxattr get_mempolicy inotify_add_watch inotify_init inotify_init1
inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents io_pgetevents_time64
ioprio_get ioprio_set io_setup io_submit ipc kill landlock_add_rule landlock_create_ruleset
landlock_restrict_self lchown lchown32 lgetxattr link linkat listen listxattr llistxattr _llseek
lremovexattr lseek lsetxattr lstat lstat64 madvise membarrier memfd_create memfd_secret mincore
mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify
mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap
msgctl msgget msgrcv msgsnd msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat
_newselect open openat openat2 pause pidfd_getfd pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc
pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease
process_vm_readv process_vm_writev pselect6 pselect6_time64 ptrace pwrite64 pwritev pwritev2 read
readahead readlink readlinkat readv reboot recv recvfrom recvmmsg recvmmsg_time64 recvmsg
remap_file_pages removexattr rename renameat renameat2 restart_syscall rmdir rseq rt_sigaction
rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait
rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam
sched_get_priority_max sched_get_priority_min sched_getscheduler sched_rr_get_interval
sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam sched_setscheduler
sched_yield seccomp select semctl semget semop semtimedop semtimedop_time64 send sendfile sendfile64
sendmmsg sendmsg sendto setdomainname setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32
setgroups setgroups32 sethostname setitimer setpgid setpriority setregid setregid32 setresgid
setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit set_robust_list setsid setsockopt
set_thread_area set_tid_address setuid setuid32 setxattr shmat shmctl shmdt shmget shutdown
sigaltstack signalfd signalfd4 sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs
statfs64 statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time timer_create
timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime timer_settime64
timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill
truncate truncate64 ugetrlimit umask uname unlink unlinkat utime utimensat utimensat_time64 utimes
vfork wait4 waitid waitpid write writev chroot
""".split()

# Refused with EPERM. Each entry: (reason, names).
DENY = [
    ("Replaces the running kernel, which every tenant shares.", ["kexec_load", "kexec_file_load"]),
    ("Loads or unloads kernel code on the shared host kernel.",
     ["init_module", "finit_module", "delete_module", "create_module", "get_kernel_syms", "query_module"]),
    ("Loads programs into the shared kernel; verifier bugs are a recurring escape route.", ["bpf"]),
    ("Host-wide performance counters leak other tenants' activity and have a large attack surface.",
     ["perf_event_open"]),
    ("The kernel keyring is not namespaced: keys would be shared with the host and other tenants.",
     ["keyctl", "add_key", "request_key"]),
    ("Opens any file of a mounted filesystem by handle, bypassing the mount namespace (the 'shocker' escape).",
     ["open_by_handle_at"]),
    ("Changes the mount table; a virtual server without CAP_SYS_ADMIN has no use for it and it widens "
     "the attack surface of the mount code.",
     ["mount", "umount", "umount2", "pivot_root", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
      "open_tree", "mount_setattr"]),
    ("New namespaces (user namespaces above all) expose kernel code that is otherwise root-only.",
     ["unshare", "setns"]),
    ("Controls the host's swap.", ["swapon", "swapoff"]),
    ("Turns on host-wide process accounting.", ["acct"]),
    ("Sets the host clock, which is not namespaced.", ["settimeofday", "clock_settime", "clock_settime64",
                                                       "stime", "clock_adjtime", "clock_adjtime64"]),
    ("Raw I/O port access to the host's hardware.", ["iopl", "ioperm"]),
    ("Lets an unprivileged process stall kernel code at will, a common exploitation primitive.",
     ["userfaultfd"]),
    ("io_uring has a long record of kernel vulnerabilities and bypasses seccomp for the calls it batches.",
     ["io_uring_setup", "io_uring_enter", "io_uring_register"]),
    ("Reads or clears the kernel log, which holds host information.", ["syslog"]),
    ("Moves other processes' memory between NUMA nodes.", ["move_pages", "migrate_pages", "mbind",
                                                           "set_mempolicy", "set_mempolicy_home_node"]),
    ("Watches whole filesystems, including mounts shared with the host.", ["fanotify_init", "fanotify_mark"]),
    ("Disk quotas are set by the host.", ["quotactl", "quotactl_fd"]),
    ("Obsolete calls with no use in a modern userland.",
     ["uselib", "_sysctl", "sysfs", "ustat", "vm86", "vm86old", "nfsservctl", "lookup_dcookie",
      "vhangup", "afs_syscall", "tuxcall", "security", "bdflush"]),
]

NS_FLAGS = 0x7E020000  # CLONE_NEWNS|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWCGROUP

def main(path):
    syscalls = [{"names": sorted(set(ALLOW)), "action": "SCMP_ACT_ALLOW"}]
    syscalls.append({
        "names": ["clone"], "action": "SCMP_ACT_ALLOW",
        "args": [{"index": 0, "value": NS_FLAGS, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
        "comment": "clone without namespace flags; with them it falls to the default (ENOSYS), like unshare.",
    })
    syscalls.append({
        "names": ["personality"], "action": "SCMP_ACT_ALLOW",
        "args": [{"index": 0, "value": v, "op": "SCMP_CMP_EQ"} for v in (0x0, 0x8, 0x20000, 0x20008, 0xffffffff)],
        "comment": "Only the ordinary personalities and the query; ADDR_NO_RANDOMIZE and friends stay off.",
    })
    syscalls.append({
        "names": ["socket"], "action": "SCMP_ACT_ALLOW",
        "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_NE"}],
        "comment": "Every socket family except AF_VSOCK (40), which reaches the hypervisor.",
    })
    syscalls.append({"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
                     "comment": "Its flags live in memory seccomp cannot see; ENOSYS makes libc fall back to clone."})
    for reason, names in DENY:
        syscalls.append({"names": names, "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "comment": reason})
    profile = {
        "comment": "carrel default seccomp profile, generated by tools/gen-default-seccomp.py",
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 38,
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
        "syscalls": syscalls,
    }
    with open(path, "w") as f:
        json.dump(profile, f, indent=1)
        f.write("\n")

main(sys.argv[1] if len(sys.argv) > 1 else "profiles/seccomp/default.json")
