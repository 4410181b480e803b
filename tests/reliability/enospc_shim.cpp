// A full disk for one folder, for the full-disk test (tests/reliability/full_disk_test.cpp): loaded
// with LD_PRELOAD into an app, it lets the files under $SMALLNET_ENOSPC_UNDER take
// $SMALLNET_ENOSPC_AFTER bytes in all, then fails their writes with ENOSPC, as a full file system
// does: the write that crosses the limit is cut short, the next one fails. It catches every write of
// the process (ours and any library's) that goes through write, pwrite or writev.
// The build defines _FILE_OFFSET_BITS=64, which renames pwrite to pwrite64; both are defined below.
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>

namespace {

std::atomic<long long> budget{-1};  // bytes left; -1: not configured yet, -2: not asked for
const char* folder;
size_t folder_length;

void configure() {
    if (budget.load() != -1) return;
    const char* after = getenv("SMALLNET_ENOSPC_AFTER");
    folder = getenv("SMALLNET_ENOSPC_UNDER");
    folder_length = folder ? strlen(folder) : 0;
    long long bytes = after ? atoll(after) : 0;
    if (!after || !folder) bytes = -2;  // pass everything through
    long long expected = -1;
    budget.compare_exchange_strong(expected, bytes);
}

// How many of `count` bytes the descriptor may still take: count when it is not a file under the
// folder, else what is left of the budget.
size_t allowed(int descriptor, size_t count) {
    configure();
    if (budget.load() == -2 || count == 0) return count;
    char link[64], target[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", descriptor);
    const ssize_t length = readlink(link, target, sizeof target - 1);
    if (length <= 0) return count;
    target[length] = '\0';
    if (static_cast<size_t>(length) < folder_length || strncmp(target, folder, folder_length) != 0) return count;
    long long left = budget.load();
    for (;;) {
        const long long take = left < static_cast<long long>(count) ? left : static_cast<long long>(count);
        if (take <= 0) return 0;
        if (budget.compare_exchange_weak(left, left - take)) return static_cast<size_t>(take);
    }
}

}  // namespace

extern "C" {

ssize_t write(int descriptor, const void* data, size_t count) {
    static ssize_t (*real)(int, const void*, size_t);
    if (!real) real = reinterpret_cast<ssize_t (*)(int, const void*, size_t)>(dlsym(RTLD_NEXT, "write"));
    const size_t take = allowed(descriptor, count);
    if (take == 0 && count > 0) return errno = ENOSPC, ssize_t{-1};
    return real(descriptor, data, take);
}

ssize_t pwrite(int descriptor, const void* data, size_t count, off_t offset) {
    static ssize_t (*real)(int, const void*, size_t, off_t);
    if (!real) real = reinterpret_cast<ssize_t (*)(int, const void*, size_t, off_t)>(dlsym(RTLD_NEXT, "pwrite"));
    const size_t take = allowed(descriptor, count);
    if (take == 0 && count > 0) return errno = ENOSPC, ssize_t{-1};
    return real(descriptor, data, take, offset);
}

ssize_t pwrite64(int descriptor, const void* data, size_t count, off64_t offset) {
    static ssize_t (*real)(int, const void*, size_t, off64_t);
    if (!real) real = reinterpret_cast<ssize_t (*)(int, const void*, size_t, off64_t)>(dlsym(RTLD_NEXT, "pwrite64"));
    const size_t take = allowed(descriptor, count);
    if (take == 0 && count > 0) return errno = ENOSPC, ssize_t{-1};
    return real(descriptor, data, take, offset);
}

ssize_t writev(int descriptor, const struct iovec* parts, int part_count) {
    static ssize_t (*real)(int, const struct iovec*, int);
    if (!real) real = reinterpret_cast<ssize_t (*)(int, const struct iovec*, int)>(dlsym(RTLD_NEXT, "writev"));
    size_t count = 0;
    for (int i = 0; i < part_count; ++i) count += parts[i].iov_len;
    const size_t take = allowed(descriptor, count);
    if (take == 0 && count > 0) return errno = ENOSPC, ssize_t{-1};
    if (take == count) return real(descriptor, parts, part_count);
    // Cut short: only the first parts, the last of them partly.
    struct iovec cut[64];
    int n = 0;
    size_t left = take;
    for (int i = 0; i < part_count && left > 0 && n < 64; ++i, ++n) {
        cut[n] = parts[i];
        if (cut[n].iov_len > left) cut[n].iov_len = left;
        left -= cut[n].iov_len;
    }
    return real(descriptor, cut, n);
}

}  // extern "C"
