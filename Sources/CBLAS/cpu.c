// What the engine knows about the CPU it runs on: whether the AVX-512 kernels may run
// (the hardware has them and MEMENTO_AVX512 does not turn them off), the sizes of the data
// caches (sysfs, else CPUID), and a name for the CPU model (CPUID's brand string with its
// family, model and stepping) that keys the calibration cache (see GemmCalibration.swift).
#define _GNU_SOURCE
#include "CBLAS.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

int memento_cpu_avx512_hardware(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#else
    return 0;
#endif
}

int memento_avx512_decide(const char *setting, int hardware, char *message, size_t capacity) {
    if (message && capacity) message[0] = 0;
    if (setting == NULL || setting[0] == 0 || strcasecmp(setting, "auto") == 0) return hardware;
    if (strcmp(setting, "0") == 0 || strcasecmp(setting, "off") == 0 || strcasecmp(setting, "no") == 0 ||
        strcasecmp(setting, "false") == 0)
        return 0;
    if (strcmp(setting, "1") == 0 || strcasecmp(setting, "on") == 0 || strcasecmp(setting, "yes") == 0 ||
        strcasecmp(setting, "true") == 0) {
        if (!hardware && message)
            snprintf(message, capacity,
                     "memento: MEMENTO_AVX512=%s asks for the AVX-512 kernels, but this CPU lacks AVX-512 "
                     "(F, BW, DQ, VL); running the AVX2/OpenBLAS paths instead", setting);
        return hardware;
    }
    if (message)
        snprintf(message, capacity,
                 "memento: MEMENTO_AVX512=%s is not understood (use 0, 1 or auto); using auto (AVX-512 %s)", setting,
                 hardware ? "on" : "off");
    return hardware;
}

static int avx512_enabled = 0;
static pthread_once_t avx512_once = PTHREAD_ONCE_INIT;

static void decide_avx512(void) {
    char message[256];
    avx512_enabled = memento_avx512_decide(getenv("MEMENTO_AVX512"), memento_cpu_avx512_hardware(), message,
                                           sizeof message);
    if (message[0]) fprintf(stderr, "%s\n", message);
}

int memento_cpu_has_avx512(void) {
    pthread_once(&avx512_once, decide_avx512);
    return avx512_enabled;
}

// Decided when the program starts, so that a forced setting the CPU cannot honour is
// reported at start-up rather than in the middle of a run.
__attribute__((constructor))
static void memento_decide_avx512_at_start(void) { memento_cpu_has_avx512(); }

// Size in bytes of a string like "48K", "1024K", "32M", "65536".
static long parse_size(const char *s) {
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (end == s || v <= 0) return 0;
    while (*end && isspace((unsigned char)*end)) end++;
    if (*end == 'K' || *end == 'k') v *= 1024;
    else if (*end == 'M' || *end == 'm') v *= 1024 * 1024;
    else if (*end == 'G' || *end == 'g') v *= 1024L * 1024 * 1024;
    return v;
}

static int read_line(const char *path, char *buf, size_t cap) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int ok = fgets(buf, (int)cap, f) != NULL;
    fclose(f);
    if (ok) buf[strcspn(buf, "\n")] = 0;
    return ok;
}

// sysfs (Linux): /sys/devices/system/cpu/cpu0/cache/index*/{level,type,size}.
static long cache_from_sysfs(int level) {
    for (int index = 0; index < 16; index++) {
        char path[128], value[64];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", index);
        if (!read_line(path, value, sizeof value)) break;
        if (atoi(value) != level) continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", index);
        if (!read_line(path, value, sizeof value) || strcmp(value, "Instruction") == 0) continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
        if (!read_line(path, value, sizeof value)) continue;
        long size = parse_size(value);
        if (size > 0) return size;
    }
    return 0;
}

// CPUID's deterministic cache parameters: leaf 4 (Intel), leaf 0x8000001D (AMD).
static long cache_from_cpuid(int level) {
#if defined(__x86_64__)
    unsigned int a, b, c, d, maxExt = __get_cpuid_max(0x80000000, NULL);
    unsigned int leaves[2] = {4, maxExt >= 0x8000001D ? 0x8000001D : 0};
    for (int l = 0; l < 2; l++) {
        if (leaves[l] == 0 || (leaves[l] == 4 && __get_cpuid_max(0, NULL) < 4)) continue;
        for (unsigned int sub = 0; sub < 16; sub++) {
            __cpuid_count(leaves[l], sub, a, b, c, d);
            unsigned int type = a & 0x1F;
            if (type == 0) break;
            if (type == 2 || (int)((a >> 5) & 7) != level) continue;  // 2: instruction cache
            long ways = ((b >> 22) & 0x3FF) + 1, parts = ((b >> 12) & 0x3FF) + 1, line = (b & 0xFFF) + 1;
            long sets = (long)c + 1;
            return ways * parts * line * sets;
        }
    }
#endif
    (void)level;
    return 0;
}

long memento_cpu_cache_size(int level) {
    long s = cache_from_sysfs(level);
    return s > 0 ? s : cache_from_cpuid(level);
}

void memento_cpu_model(char *buffer, size_t capacity) {
    if (!capacity) return;
    buffer[0] = 0;
#if defined(__x86_64__)
    unsigned int regs[12], a, b, c, d;
    char brand[49] = {0};
    if (__get_cpuid_max(0x80000000, NULL) >= 0x80000004) {
        for (unsigned int i = 0; i < 3; i++) __cpuid(0x80000002 + i, regs[4 * i], regs[4 * i + 1], regs[4 * i + 2], regs[4 * i + 3]);
        memcpy(brand, regs, 48);
    }
    // Trim the padding spaces some CPUs put around their brand string.
    char *start = brand;
    while (*start == ' ') start++;
    size_t len = strlen(start);
    while (len && start[len - 1] == ' ') start[--len] = 0;
    __cpuid(1, a, b, c, d);
    unsigned int family = (a >> 8) & 0xF, model = (a >> 4) & 0xF, stepping = a & 0xF;
    if (family == 0xF) family += (a >> 20) & 0xFF;
    if (family == 0x6 || family >= 0xF) model |= ((a >> 16) & 0xF) << 4;
    snprintf(buffer, capacity, "%s (family %u, model %u, stepping %u)", start[0] ? start : "unknown x86-64", family,
             model, stepping);
#else
    snprintf(buffer, capacity, "unknown CPU");
#endif
}

int memento_kernels_optimized(void) {
#ifdef __OPTIMIZE__
    return 1;
#else
    return 0;
#endif
}
