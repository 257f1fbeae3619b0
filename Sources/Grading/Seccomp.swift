#if canImport(Glibc)
import Glibc
#endif

/// A seccomp filter for the worker (Linux, x86-64 and AArch64): no new programs (execve),
/// no new processes (fork, vfork, clone without CLONE_THREAD; clone3 reports ENOSYS so the C
/// library falls back to clone for threads), no sockets, no ptrace or kill, and none of the
/// path-based calls that change the file system without opening a file (unlink, rename,
/// mkdir, rmdir, truncate, chmod, link, symlink). Denied calls fail with EPERM; everything
/// else is allowed. Opening files is already impossible under RLIMIT_NOFILE, and the
/// language has no way to ask for any of this — the filter is a second wall, not the first.
/// Where seccomp is unavailable the filter is skipped and the other limits still hold.
enum Seccomp {
    /// prctl(2), found at run time: Swift does not import the variadic C declaration.
    static func prctl(_ option: Int32, _ a: UInt, _ b: UInt, _ c: UInt, _ d: UInt) -> Int32 {
        typealias Fn = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prctl") else { return -1 }
        return unsafeBitCast(sym, to: Fn.self)(option, a, b, c, d)
    }

    /// PR_SET_NO_NEW_PRIVS: required before an unprivileged process may install a filter.
    static func noNewPrivileges() { _ = prctl(38, 1, 0, 0, 0) }

    private struct Instruction {
        var code: UInt16
        var jt: Label?
        var jf: Label?
        var k: UInt32
    }
    private enum Label: Hashable { case allow, deny, nosys, kill }

    /// With `allowFork` (the loader, which forks one process per test), clone without
    /// CLONE_THREAD is allowed; the test's process installs the filter again without it.
    static func install(allowFork: Bool) {
        #if os(Linux) && (arch(x86_64) || arch(arm64))
        #if arch(x86_64)
        let arch: UInt32 = 0xC000_003E
        let denied: [UInt32] = [59, 322, 57, 58, 41, 53, 42, 49, 101, 62, 87, 263, 82, 264, 316, 83, 258, 84, 76, 90, 268, 86, 265, 88, 266, 85]
        let clone: UInt32 = 56
        #else
        let arch: UInt32 = 0xC000_00B7
        let denied: [UInt32] = [221, 281, 198, 199, 203, 200, 117, 129, 35, 38, 276, 34, 45, 53, 37, 36]
        let clone: UInt32 = 220
        #endif
        let clone3: UInt32 = 435
        let ldAbs: UInt16 = 0x20, jeq: UInt16 = 0x15, jset: UInt16 = 0x45, ret: UInt16 = 0x06
        let allow: UInt32 = 0x7FFF_0000
        let errno = { (e: Int32) in 0x0005_0000 | UInt32(e) }
        let cloneThread: UInt32 = 0x0001_0000

        var program: [(Instruction, Label?)] = []
        func add(_ code: UInt16, _ k: UInt32, jt: Label? = nil, jf: Label? = nil, label: Label? = nil) {
            program.append((Instruction(code: code, jt: jt, jf: jf, k: k), label))
        }
        add(ldAbs, 4)                                   // arch
        add(jeq, arch, jf: .kill)
        add(ldAbs, 0)                                   // syscall number
        for nr in denied { add(jeq, nr, jt: .deny) }
        add(jeq, clone3, jt: .nosys)
        if !allowFork {
            add(jeq, clone, jf: .allow)
            add(ldAbs, 16)                              // clone flags (low 32 bits of args[0])
            add(jset, cloneThread, jt: .allow, jf: .deny)
        }
        // BPF jumps only forward: the returns come last.
        add(ret, allow, label: .allow)
        add(ret, errno(EPERM), label: .deny)
        add(ret, errno(ENOSYS), label: .nosys)
        add(ret, 0x8000_0000, label: .kill)             // SECCOMP_RET_KILL_PROCESS

        var positions: [Label: Int] = [:]
        for (i, (_, label)) in program.enumerated() { if let label { positions[label] = i } }
        var bytes: [UInt8] = []
        for (i, (ins, _)) in program.enumerated() {
            func offset(_ l: Label?) -> UInt8 {
                guard let l, let p = positions[l] else { return 0 }
                return UInt8(p - i - 1)
            }
            withUnsafeBytes(of: ins.code.littleEndian) { bytes += $0 }
            bytes.append(offset(ins.jt))
            bytes.append(offset(ins.jf))
            withUnsafeBytes(of: ins.k.littleEndian) { bytes += $0 }
        }
        bytes.withUnsafeBytes { filter in
            // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
            var fprog = [UInt64](repeating: 0, count: 2)
            fprog.withUnsafeMutableBytes { raw in
                raw.storeBytes(of: UInt16(program.count), toByteOffset: 0, as: UInt16.self)
                raw.storeBytes(of: UInt(bitPattern: filter.baseAddress), toByteOffset: 8, as: UInt.self)
                _ = prctl(22 /* PR_SET_SECCOMP */, 2 /* SECCOMP_MODE_FILTER */, UInt(bitPattern: raw.baseAddress), 0, 0)
            }
        }
        #endif
    }
}
